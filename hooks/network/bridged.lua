--- Built-in hook for NICs in bridged mode: what Ganeti 3.2's `network/bridged/up` does, through
--- the native host API. Its `down` is the journal's undo: the tap leaves the bridge, VLANs added
--- to the uplinks go unless another tap still uses them.
local net = require "taphouse.net"
local vlan = require "taphouse.vlan"

local M = {}

--- The tap's MAC with its first octet made `fe`, so the bridge never takes the tap's address as
--- its own (a bridge uses its lowest port MAC; Ganeti's `fix_mac`); nil when it already is.
---@param mac string?
---@return string?
function M.fixed_mac(mac)
  if mac and mac:sub(1, 2) ~= "fe" then return "fe" .. mac:sub(3) end
  return nil
end

--- The bridge's uplinks: its ports that are not taps.
---@param bridge string
---@return string[]
function M.uplinks(bridge)
  local uplinks = {}
  for _, port in ipairs(net.ports(bridge)) do
    local link = net.link(port)
    if link and link.kind ~= "tun" and not port:match("^tap") then
      uplinks[#uplinks + 1] = port
    end
  end
  return uplinks
end

--- Puts the tap in its VLANs on a `vlan_filtering` bridge: the access (native) VLAN untagged
--- with pvid, trunks tagged, every one of them tagged on each uplink; and takes the tap out of
--- any VLAN it should not be in (the kernel's default pvid 1 would let untagged traffic leak).
---@param nic taphouse.Nic
function M.setup_vlans(nic)
  local wanted = vlan.parse(nic.VLAN)
  if not wanted then return end
  if not net.vlan_filtering(nic.BRIDGE) then
    error(("bridge %s has no vlan_filtering, which VLAN %s needs"):format(nic.BRIDGE, nic.VLAN))
  end
  local ids = {}
  if wanted.access then
    net.bridge_vlan_add(nic.INTERFACE, wanted.access, { pvid = true, untagged = true })
    ids[wanted.access] = true
  end
  for _, vid in ipairs(wanted.trunks) do
    net.bridge_vlan_add(nic.INTERFACE, vid)
    ids[vid] = true
  end
  for _, entry in ipairs(net.bridge_vlans(nic.INTERFACE)) do
    if not ids[entry.vid] then net.bridge_vlan_del(nic.INTERFACE, entry.vid) end
  end
  local sorted = {}
  for vid in pairs(ids) do sorted[#sorted + 1] = vid end
  table.sort(sorted)
  for _, uplink in ipairs(M.uplinks(nic.BRIDGE)) do
    for _, vid in ipairs(sorted) do
      net.bridge_vlan_add(uplink, vid, { shared = true })
    end
  end
end

--- Ganeti's steps (fix the MAC, up, the bridge's MTU, join the bridge) as one request.
---@param nic taphouse.Nic
function M.up(nic)
  local tap = net.link(nic.INTERFACE) or error(("tap %s does not exist"):format(nic.INTERFACE))
  local bridge = net.link(nic.BRIDGE) or error(("bridge %s does not exist"):format(nic.BRIDGE))
  net.set_link(nic.INTERFACE, { mac = M.fixed_mac(tap.mac), up = true, mtu = bridge.mtu, master = nic.BRIDGE })
  if nic.VLAN and nic.VLAN ~= "" then M.setup_vlans(nic) end
end

return M
