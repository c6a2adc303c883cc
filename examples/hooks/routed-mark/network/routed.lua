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
--- through taphouse.exec (argv, absolute path, timeout). An exec is never undone by the
--- journal: this hook's own down takes the tap out of the set, and the journal's undo of the
--- routed part runs after it. Install as <hooks dir>/network/routed.lua.
local base = require "taphouse.builtin.network.routed"
local exec = require "taphouse.exec"

local M = {}

--- Adds the tap to (`add`) or removes it from (`delete`) the set `marked_taps`.
---@param action "add"|"delete"
---@param nic taphouse.Nic
function M.nft(action, nic)
  local result = exec.run(
    { "/usr/sbin/nft", action, "element", "inet", "filter", "marked_taps", "{", nic.INTERFACE, "}" },
    { timeout_ms = 2000 })
  if result.status ~= 0 then
    error(("nft %s element %s failed: %s"):format(action, nic.INTERFACE, result.stderr))
  end
end

---@param nic taphouse.Nic
function M.up(nic)
  base.up(nic)
  M.nft("add", nic)
end

---@param nic taphouse.Nic
function M.down(nic)
  M.nft("delete", nic)
end

return M
