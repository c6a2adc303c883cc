--- Example site hook (a typical kvm-vif-bridge customisation, ported): the bridge comes from
--- the instance tag `bridge:<name>` when the instance has one, else from the NIC's link; the rest
--- is the built-in bridged hook, so its MAC, MTU, port and VLAN handling (and its specs) carry
--- over. Install as <hooks dir>/network/bridged.lua.
local base = require "taphouse.builtin.network.bridged"

local M = {}

--- The bridge named by the first `bridge:<name>` tag, else the NIC's link.
---@param nic taphouse.Nic
---@return string?
function M.bridge(nic)
  for _, tag in ipairs(nic.TAGS) do
    local name = tag:match("^bridge:(.+)$")
    if name then return name end
  end
  return nic.LINK
end

---@param nic taphouse.Nic
function M.up(nic)
  local bridge = M.bridge(nic)
  if not bridge then
    error(("NIC %d of %s has no bridge: tag the instance bridge:<name> or give the NIC a link")
      :format(nic.INTERFACE_INDEX, nic.INSTANCE))
  end
  -- The nic table is the caller's: the built-in hook gets a copy naming the chosen bridge.
  local chosen = {}
  for key, value in pairs(nic) do chosen[key] = value end
  chosen.BRIDGE, chosen.LINK = bridge, bridge
  base.up(chosen)
end

return M
