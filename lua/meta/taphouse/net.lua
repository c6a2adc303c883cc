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

---Lists a link's addresses (every link's with nil), IPv4 and IPv6, as the kernel writes them
---(`2001:db8::1/64`). The kernel's own link-local and loopback addresses are left out.
---@param dev? string
---@return taphouse.Address[] addresses
function net.addresses(dev) end

---Adds an address to a link (`ip address add`); an error when the link has it already.
---@param address taphouse.Address
function net.address_add(address) end

---Adds an address unless the link has it (`ip address replace`; an IPv6 one with any length
---counts): what an `up` run again calls. Only an address added is journaled.
---@param address taphouse.Address
function net.address_replace(address) end

---Deletes an address, with its length; an error when the link has no such address. A primary
---IPv4 address takes its secondaries with it, as the kernel does; undo puts them all back.
---@param address taphouse.Address
function net.address_del(address) end

---Lists the proxy neighbour entries (`ip neigh show proxy`), both families.
---@return taphouse.ProxyNeighbour[] entries
function net.proxy_neighbours() end

---Answers ARP or neighbour solicitations for `proxy` arriving on `dev` (`ip neigh add proxy`);
---an entry that is there is left as it is. The kernel drops a link's entries when it goes down.
---@param neighbour taphouse.ProxyNeighbour
function net.neigh_add(neighbour) end

---Deletes a proxy entry; an error when there is none.
---@param neighbour taphouse.ProxyNeighbour
function net.neigh_del(neighbour) end

---The address a NIC forms from its MAC by SLAAC (modified EUI-64) in an IPv6 prefix, as Ganeti
---sites' `mac2eui64` computes it: `net.eui64("aa:00:00:12:34:56", "2001:db8::/64")` is
---`2001:db8::a800:ff:fe12:3456`. Changes nothing.
---@param mac string
---@param prefix string an IPv6 prefix of length 64 or less (`nic.NETWORK.SUBNET6`)
---@return string address without a length
function net.eui64(mac, prefix) end

return net
