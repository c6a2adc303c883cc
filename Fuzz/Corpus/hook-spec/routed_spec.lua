-- Specs for the built-in routed hook: what Ganeti 3.2's network/routed/up does (reference D.4):
-- link up; with LINK, every rule for the tap deleted and one added for table LINK, and the
-- host route in that table; without, the host route in main; proxy_arp and forwarding (IPv4),
-- proxy_ndp and forwarding (IPv6) set to 1 where the tap has them.
local test = require "taphouse.test"

local sysctls = {
  "sysctl net/ipv4/conf/tap0/proxy_arp=1", "sysctl net/ipv4/conf/tap0/forwarding=1",
  "sysctl net/ipv6/conf/tap0/proxy_ndp=1", "sysctl net/ipv6/conf/tap0/forwarding=1",
}
local function with(calls, more)
  local all = {}
  for _, call in ipairs(calls) do all[#all + 1] = call end
  for _, call in ipairs(more) do all[#all + 1] = call end
  return all
end

test.case("up without LINK: a host route in main, proxy ARP/NDP and forwarding on", {
  nic = { MODE = "routed", IP = "192.0.2.10" },
  expect = {
    calls = with({ "set_up tap0", "route_replace 192.0.2.10/32 dev tap0 table 254 proto 4" }, sysctls),
    host = {
      links = { tap0 = { up = true } },
      routes = { { dst = "192.0.2.10/32", dev = "tap0", table = 254, proto = 4 } },
      rules = {},
      sysctls = {
        ["net/ipv4/conf/tap0/proxy_arp"] = "1", ["net/ipv4/conf/tap0/forwarding"] = "1",
        ["net/ipv6/conf/tap0/proxy_ndp"] = "1", ["net/ipv6/conf/tap0/forwarding"] = "1",
      },
    },
  },
})

local in_table_100 = {
  calls = with({
    "set_up tap0", "rule_add ipv4 iif tap0 table 100", "route_replace 192.0.2.10/32 dev tap0 table 100 proto 4",
  }, sysctls),
  host = {
    routes = { { dst = "192.0.2.10/32", dev = "tap0", table = 100 } },
    rules = { { family = 4, dev = "tap0", table = 100 } },
  },
}

test.case("up with LINK 100: a rule for the tap to table 100, the host route in it", {
  nic = { MODE = "routed", IP = "192.0.2.10", LINK = "100" },
  expect = in_table_100,
})

test.case("up with LINK: old rules for the tap go first, so there is one (Ganeti's while loop)", {
  nic = { MODE = "routed", IP = "192.0.2.10", LINK = "100" },
  host = { rules = {
    { family = 4, dev = "tap0", table = 100, priority = 1000 },
    { family = 4, dev = "tap0", table = 200, priority = 1001 },
    { family = 4, dev = "eth0", table = 300, priority = 1002 },
  } },
  expect = {
    calls = with({
      "set_up tap0", "rule_del ipv4 iif tap0 table 100 priority 1000", "rule_del ipv4 iif tap0 table 200 priority 1001",
      "rule_add ipv4 iif tap0 table 100", "route_replace 192.0.2.10/32 dev tap0 table 100 proto 4",
    }, sysctls),
    host = { rules = { { family = 4, dev = "eth0", table = 300 }, { family = 4, dev = "tap0", table = 100 } } },
  },
})

test.case("up with LINK naming a table (rt_tables): the same rule and route as with its number", {
  nic = { MODE = "routed", IP = "192.0.2.10", LINK = "customers" },
  host = { tables = { customers = 100 } },
  expect = in_table_100,
})

test.case("up with LINK main, by its name: the rule and the host route in table 254, as ip reads main", {
  nic = { MODE = "routed", IP = "192.0.2.10", LINK = "main" },
  expect = {
    calls = with({
      "set_up tap0", "rule_add ipv4 iif tap0 table 254", "route_replace 192.0.2.10/32 dev tap0 table 254 proto 4",
    }, sysctls),
  },
})

test.case("up with LINK naming a table the node does not know: refused before anything changes", {
  nic = { MODE = "routed", IP = "192.0.2.10", LINK = "customers", INTERFACE_INDEX = 1, INSTANCE = "web1.example.com" },
  host = { tables = { staff = 200 } },
  expect = {
    error = { message = "routing table customers: not a number, nor a name in host.tables", line = 46 },
    calls = {},
  },
})

test.case("up with an IPv6 address: a /128 route and an IPv6 rule", {
  nic = { MODE = "routed", IP = "2001:db8::10", LINK = "100" },
  expect = {
    calls = with({
      "set_up tap0", "rule_add ipv6 iif tap0 table 100", "route_replace 2001:db8::10/128 dev tap0 table 100 proto 4",
    }, sysctls),
  },
})

test.case("up: a NIC without an IP is refused before anything changes", {
  nic = { MODE = "routed", LINK = "100", INTERFACE_INDEX = 2, INSTANCE = "web1.example.com" },
  expect = { error = { message = "routed NIC 2 of web1.example.com has no IP address", line = 43 }, calls = {} },
})

test.case("up: a tap without IPv6 gets only the IPv4 sysctls", {
  nic = { MODE = "routed", IP = "192.0.2.10" },
  host = { links = { tap0 = { kind = "tun", ipv6 = false } } },
  expect = {
    calls = {
      "set_up tap0", "route_replace 192.0.2.10/32 dev tap0 table 254 proto 4",
      "sysctl net/ipv4/conf/tap0/proxy_arp=1", "sysctl net/ipv4/conf/tap0/forwarding=1",
    },
  },
})

test.case("up: a route to the same IP through another device is replaced, and comes back on down", {
  nic = { MODE = "routed", IP = "192.0.2.10" },
  host = {
    links = { tap9 = { kind = "tun", up = true } },
    routes = { { dst = "192.0.2.10/32", dev = "tap9" } },
  },
  expect = { host = { routes = { { dst = "192.0.2.10/32", dev = "tap0" } } } },
})

test.case("up after migration (MIGRATION_PHASE post) does the same as a start", {
  nic = { MODE = "routed", IP = "192.0.2.10", LINK = "100" },
  phase = "post",
  expect = {
    calls = with({
      "set_up tap0", "rule_add ipv4 iif tap0 table 100", "route_replace 192.0.2.10/32 dev tap0 table 100 proto 4",
    }, sysctls),
  },
})

test.case("down: the rule, the route and the sysctls go, in reverse", {
  nic = { MODE = "routed", IP = "192.0.2.10", LINK = "100" },
  action = "down",
  expect = {
    calls = {
      "sysctl net/ipv6/conf/tap0/forwarding=0", "sysctl net/ipv6/conf/tap0/proxy_ndp=0",
      "sysctl net/ipv4/conf/tap0/forwarding=0", "sysctl net/ipv4/conf/tap0/proxy_arp=0",
      "route_del 192.0.2.10/32 dev tap0 table 100 proto 4", "rule_del ipv4 iif tap0 table 100", "set_down tap0",
    },
    host = { routes = {}, rules = {}, links = { tap0 = { up = false } } },
  },
})
