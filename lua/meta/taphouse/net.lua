---@meta
-- Links, bridge VLANs, routes and rules, through netlink. Every change is journaled with what it
-- replaced, so the NIC's `down` (and a failed `up`) undoes exactly what `up` did.

local net = {}

---The id of the main routing table (254), for comparing with `taphouse.Route.table`.
---@type integer
net.MAIN_TABLE = 254

---Reads a link.
---@param name string
---@return taphouse.Link? link nil when there is no such link
function net.link(name) end

---Reads every link on the node.
---@return taphouse.Link[] links
function net.links() end

---Sets a link up.
---@param name string
function net.set_up(name) end

---Sets a link down.
---@param name string
function net.set_down(name) end

---Reads a link's MTU; an error when there is no such link.
---@param name string
---@return integer mtu
function net.mtu(name) end

---Sets a link's MTU.
---@param name string
---@param mtu integer
function net.set_mtu(name, mtu) end

---Reads a link's MAC address; an error when there is no such link.
---@param name string
---@return string? mac lower case; nil for a link without one
function net.mac(name) end

---Sets a link's MAC address.
---@param name string
---@param mac string as `fe:00:00:12:34:56`
function net.set_mac(name, mac) end

---Makes a link a port of a bridge.
---@param name string
---@param bridge string
function net.set_master(name, bridge) end

---Takes a link out of its bridge.
---@param name string
function net.set_nomaster(name) end

---Changes several things of a link in one netlink request instead of one each.
---@param name string
---@param change taphouse.LinkChange an unknown field, or one of the wrong type, is an error
function net.set_link(name, change) end

---Lists the ports of a bridge.
---@param bridge string
---@return string[] ports link names
function net.ports(bridge) end

---Reads whether a bridge filters by VLAN; an error when there is no such link.
---@param name string
---@return boolean filtering false for links that are not bridges
function net.vlan_filtering(name) end

---Lists the VLANs of a bridge port (or of the bridge itself).
---@param name string
---@return taphouse.BridgeVlan[] vlans
function net.bridge_vlans(name) end

---Adds a VLAN to a bridge port; the bridge needs `vlan_filtering`.
---@param name string the port (or the bridge itself)
---@param vid integer 1-4094
---@param options? taphouse.BridgeVlanOptions tagged, not pvid, not shared when nil
function net.bridge_vlan_add(name, vid, options) end

---Deletes a VLAN from a bridge port; an error when the port is not in it.
---@param name string
---@param vid integer
function net.bridge_vlan_del(name, vid) end

---Lists the routes of a routing table, or of every table when `table` is nil.
---@param table? taphouse.RoutingTable every table when nil
---@return taphouse.Route[] routes
function net.routes(table) end

---Adds a route, or replaces the one to the same destination in the same table.
---@param route taphouse.RouteSpec
function net.route_replace(route) end

---Deletes the route to a destination; an error when there is none.
---@param route taphouse.RouteSpec `dst` and `table` pick the route; `dev` is required but not compared
function net.route_del(route) end

---Lists the `iif DEV lookup TABLE` rules; the kernel's default rules are not among them.
---@return taphouse.Rule[] rules
function net.rules() end

---The id of a routing table, as `ip` reads the name or number: names come from the node's
---`/etc/iproute2/rt_tables` and `rt_tables.d/*.conf`. An error when no file defines the name.
---@param name taphouse.RoutingTable
---@return integer id
function net.table(name) end

---Adds a policy routing rule: traffic arriving on `dev` looks up `table`.
---@param rule taphouse.RuleSpec
function net.rule_add(rule) end

---Deletes a policy routing rule; an error when none matches.
---@param rule taphouse.RuleSpec a `taphouse.Rule` from `rules` fits as it is
function net.rule_del(rule) end

return net
