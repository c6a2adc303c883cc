--- Built-in hook for NICs in openvswitch mode: what Ganeti 3.2's `net-ovs-up` does. A stale port
--- of the same name goes first, the tap is added to the switch `LINK`, with its access tag and
--- trunks from `VLAN`. Its `down` is the journal's undo: the port goes.
local net = require "taphouse.net"
local ovs = require "taphouse.ovs"
local vlan = require "taphouse.vlan"

local M = {}

---@param nic taphouse.Nic
function M.up(nic)
  if ovs.port(nic.INTERFACE) then ovs.del_port(nic.INTERFACE) end
  net.set_up(nic.INTERFACE)
  ovs.add_port(nic.LINK, nic.INTERFACE)
  local wanted = vlan.parse(nic.VLAN or "")
  if wanted then
    ovs.set_port(nic.INTERFACE, { tag = wanted.access, trunks = wanted.trunks })
  end
end

return M
