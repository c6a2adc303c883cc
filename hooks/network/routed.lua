--- Built-in hook for NICs in routed mode: what Ganeti 3.2's `network/routed/up` does. The NIC's
--- IP gets a host route through the tap, in the main table or in the table `LINK` names (a
--- number, or a name as `ip` reads it from `/etc/iproute2/rt_tables`; with a rule sending the
--- tap's traffic to that table), and the tap answers ARP/NDP for the node.
--- Its `down` is the journal's undo: the rule goes (routes and sysctls go with the tap).
local net = require "taphouse.net"
local sysctl = require "taphouse.sysctl"

local M = {}

--- The IP family of an address: 6 when it has a colon.
---@param ip string
---@return integer
function M.family(ip)
  return ip:find(":", 1, true) and 6 or 4
end

--- Sends everything arriving on the tap to `table`: old rules for the tap go first, so up twice
--- leaves one rule (Ganeti: `while ip rule del dev $INTERFACE; do :; done`).
---@param nic taphouse.Nic
---@param table integer
function M.rule(nic, table)
  for _, rule in ipairs(net.rules()) do
    if rule.dev == nic.INTERFACE then net.rule_del(rule) end
  end
  net.rule_add { family = M.family(nic.IP), dev = nic.INTERFACE, table = table }
end

--- proxy_arp and forwarding (IPv4), proxy_ndp and forwarding (IPv6) on the tap, where the
--- kernel has them.
---@param nic taphouse.Nic
function M.proxy(nic)
  for _, key in ipairs { "net/ipv4/conf/%s/proxy_arp", "net/ipv4/conf/%s/forwarding",
                         "net/ipv6/conf/%s/proxy_ndp", "net/ipv6/conf/%s/forwarding" } do
    local name = key:format(nic.INTERFACE)
    if sysctl.get(name) ~= nil then sysctl.set(name, 1) end
  end
end

---@param nic taphouse.Nic
function M.up(nic)
  if not nic.IP then
    error(("routed NIC %d of %s has no IP address"):format(nic.INTERFACE_INDEX, nic.INSTANCE))
  end
  -- The table first: a name the node does not know fails before anything changes.
  local table = nic.LINK and net.table(nic.LINK)
  net.set_up(nic.INTERFACE)
  if table then
    M.rule(nic, table)
    net.route_replace { dst = nic.IP, dev = nic.INTERFACE, table = table }
  else
    net.route_replace { dst = nic.IP, dev = nic.INTERFACE }
  end
  M.proxy(nic)
end

return M
