--- GRNET's Okeanos kvm-vif-bridge for routed NICs, rewritten as a taphouse hook. The NIC's
--- LINK names the routing table of its network; its IPv4 gateway, its IPv6 /64 and the uplink
--- are that network's. Up:
---
--- * the tap gets one constant MAC for all routed NICs, and goes up;
--- * DHCP from the guest is not forwarded (nfdhcpd answers it on the node);
--- * IPv4: the node's ARP requests on the tap seem to come from the gateway (arptables mangle),
---   the tap's traffic looks up the network's table (a rule), the guest's address is routed to
---   the tap in it, and the tap answers ARP for the rest (proxy_arp);
--- * IPv6: the guest's EUI-64 address in the network's /64 is routed to the tap, a rule as for
---   IPv4, and the uplink answers neighbour solicitations for it (a proxy entry; proxy_ndp stays
---   off on the tap, where nfdhcpd answers);
--- * the firewall chain an instance tag synnefo:network:<NIC index>:<chain> chooses;
--- * nfdhcpd's file for the tap.
---
--- The original ran with Ganeti 2.4, which passed no NETWORK_* variables, so it read the gateway,
--- the /64 and the uplink from the table; here they come from nic.NETWORK, the table's default
--- route giving the uplink. It tore nothing down (Ganeti had no down yet), leaving rules, the
--- arptables and iptables rules and a stale proxy entry behind; here each change is journaled
--- with its undo, so down, a failed up and a stale journal take all of it away.
local config = require "okeanos_config"
local exec = require "taphouse.exec"
local file = require "taphouse.file"
local net = require "taphouse.net"
local routed = require "taphouse.builtin.network.routed"
local sysctl = require "taphouse.sysctl"

local M = {}

-- Said to `taphouse hooks test --hooks-dir`: the built-in routed hook's specs are not this
-- hook's contract, and the report lists where it departs from them, once.
M.replaces = "Okeanos routing: one MAC for every tap, DHCP and neighbour discovery answered by nfdhcpd, "
  .. "a firewall chain by instance tag"

--- Runs `program DO...`, journaled with `program UNDO...`; a refusal fails the hook.
---@param nic taphouse.Nic
---@param program string
---@param args string[]
---@param undo string[]
function M.run(nic, program, args, undo)
  local argv = { program, table.unpack(args) }
  local result = exec.run(argv, { undo = { program, table.unpack(undo) }, link = nic.INTERFACE })
  if result.status ~= 0 then
    error(("%s: exit %d: %s"):format(table.concat(argv, " "), result.status, result.stderr))
  end
end

--- Appends a rule to `chain` with `program` (iptables, ip6tables, arptables), undone by
--- deleting the same rule.
---@param nic taphouse.Nic
---@param program string
---@param chain string
---@param rule string[]
function M.append(nic, program, chain, rule)
  M.run(nic, program, { "-A", chain, table.unpack(rule) }, { "-D", chain, table.unpack(rule) })
end

--- The device of the default route of `family` in `table`, or nil.
---@param table_id integer
---@param family 4|6
---@return string?
function M.uplink(table_id, family)
  local default = family == 6 and "::/0" or "0.0.0.0/0"
  for _, route in ipairs(net.routes(table_id)) do
    if route.dst == default then return route.dev end
  end
  return nil
end

--- The firewall chain the instance's tags choose for this NIC (the last such tag wins), or nil.
---@param nic taphouse.Nic
---@return string?
function M.firewall(nic)
  local chosen
  local prefix = "synnefo:network:" .. nic.INTERFACE_INDEX .. ":"
  for _, tag in ipairs(nic.TAGS) do
    if tag:sub(1, #prefix) == prefix then
      local chain = tag:sub(#prefix + 1)
      for _, known in ipairs(config.firewall_chains) do
        if chain == known then chosen = chain end
      end
    end
  end
  return chosen
end

---@param nic taphouse.Nic
function M.up(nic)
  if not nic.IP then
    error(("routed NIC %d of %s has no IP address"):format(nic.INTERFACE_INDEX, nic.INSTANCE))
  end
  if not nic.LINK then
    error(("routed NIC %d of %s has no LINK: it names the network's routing table"):format(
      nic.INTERFACE_INDEX, nic.INSTANCE))
  end
  local tap, network = nic.INTERFACE, nic.NETWORK or { TAGS = {} }
  -- The table first: a name the node does not know fails before anything changes.
  local table_id = net.table(nic.LINK)
  net.set_link(tap, { mac = config.tap_mac, up = true })
  M.append(nic, config.iptables, "FORWARD", { "-i", tap, "-p", "udp", "--dport", "67", "-j", "DROP" })

  if network.GATEWAY then
    M.append(nic, config.arptables, "OUTPUT",
      { "-o", tap, "--opcode", "Request", "-j", "mangle", "--mangle-ip-s", network.GATEWAY })
  end
  routed.rule(nic, table_id)
  net.route_replace { dst = nic.IP, dev = tap, table = table_id }
  sysctl.set("net/ipv4/conf/" .. tap .. "/proxy_arp", 1)

  if network.SUBNET6 then
    local eui64 = net.eui64(nic.MAC, network.SUBNET6)
    net.rule_add { family = 6, dev = tap, table = table_id }
    net.route_replace { dst = eui64, dev = tap, table = table_id }
    local uplink = M.uplink(table_id, 6)
    if uplink then net.neigh_add { proxy = eui64, dev = uplink } end
    if sysctl.get("net/ipv6/conf/" .. tap .. "/proxy_ndp") then
      sysctl.set("net/ipv6/conf/" .. tap .. "/proxy_ndp", 0)
    end
  end

  local chain = M.firewall(nic)
  if chain then
    M.append(nic, config.iptables, "FORWARD", { "-o", tap, "-j", chain })
    M.append(nic, config.ip6tables, "FORWARD", { "-o", tap, "-j", chain })
  end

  file.write(config.nfdhcpd_dir .. "/" .. tap, ("IP=%s\nMAC=%s\nLINK=%s\nHOSTNAME=%s\nTAGS=%s\n"):format(
    nic.IP, nic.MAC, nic.LINK, nic.INSTANCE, table.concat(nic.TAGS, " ")), "0644", { link = tap })
end

return M
