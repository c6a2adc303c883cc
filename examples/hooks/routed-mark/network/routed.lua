--- Example site hook (a typical kvm-vif-bridge customisation, ported): the built-in routed
--- set-up, plus a firewall mark for the instance's traffic. The node's nftables ruleset has a set
--- of taps and a rule marking what arrives on them, e.g.
---
---     table inet filter {
---       set marked_taps { type ifname; }
---       chain prerouting { type filter hook prerouting priority -150;
---                          iifname @marked_taps meta mark set 0x64 }
---     }
---
--- and this hook puts the tap in the set. The host API has no nftables call, so it runs nft
--- through taphouse.exec (argv, absolute path, timeout) with the command that undoes it: the
--- journal takes the tap out of the set with the rest (at down, and when an up fails after
--- it), so the hook needs no down of its own. Install as <hooks dir>/network/routed.lua.
local base = require "taphouse.builtin.network.routed"
local exec = require "taphouse.exec"

local M = {}

--- The nft command that adds the tap to (`add`) or removes it from (`delete`) `marked_taps`.
---@param action "add"|"delete"
---@param nic taphouse.Nic
---@return string[]
function M.nft(action, nic)
  return { "/usr/sbin/nft", action, "element", "inet", "filter", "marked_taps", "{", nic.INTERFACE, "}" }
end

---@param nic taphouse.Nic
function M.up(nic)
  base.up(nic)
  local result = exec.run(M.nft("add", nic), { timeout_ms = 2000, undo = M.nft("delete", nic), link = nic.INTERFACE })
  if result.status ~= 0 then
    error(("nft add element %s failed: %s"):format(nic.INTERFACE, result.stderr))
  end
end

return M
