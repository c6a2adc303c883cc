-- Specs for the routed-mark example. Run: taphouse hooks test --hooks-dir
-- examples/hooks/routed-mark examples/hooks/routed-mark/spec
local test = require "taphouse.test"

local add = "exec /usr/sbin/nft add element inet filter marked_taps { tap0 }"
local delete = "exec /usr/sbin/nft delete element inet filter marked_taps { tap0 }"
local routed = {
  "set_up tap0", "rule_add ipv4 iif tap0 table 100", "route_replace 192.0.2.10/32 dev tap0 table 100 proto 4",
  "sysctl net/ipv4/conf/tap0/proxy_arp=1", "sysctl net/ipv4/conf/tap0/forwarding=1",
  "sysctl net/ipv6/conf/tap0/proxy_ndp=1", "sysctl net/ipv6/conf/tap0/forwarding=1",
}
local undo = {
  "sysctl net/ipv6/conf/tap0/forwarding=0", "sysctl net/ipv6/conf/tap0/proxy_ndp=0",
  "sysctl net/ipv4/conf/tap0/forwarding=0", "sysctl net/ipv4/conf/tap0/proxy_arp=0",
  "route_del 192.0.2.10/32 dev tap0 table 100 proto 4", "rule_del ipv4 iif tap0 table 100", "set_down tap0",
}

local join = test.join

test.case("up: the built-in routed set-up, then the tap in the marked set", {
  nic = { MODE = "routed", IP = "192.0.2.10", LINK = "100" },
  expect = {
    calls = join(routed, { add }),
    host = { routes = { { dst = "192.0.2.10/32", dev = "tap0", table = 100 } } },
  },
})

test.case("up: when nft fails the up fails, naming it, and the journal undoes it all, nft first", {
  nic = { MODE = "routed", IP = "192.0.2.10", LINK = "100" },
  exec = { [add:sub(6)] = { status = 1, stderr = "Error: No such file or directory" } },
  expect = {
    error = { message = "nft add element tap0 failed: Error: No such file or directory", line = 33 },
    calls = join(routed, { add, delete }, undo),
    host = { routes = {}, rules = {} },
  },
})

test.case("down: the journal takes the tap out of the set, then undoes the routed part", {
  nic = { MODE = "routed", IP = "192.0.2.10", LINK = "100" },
  action = "down",
  expect = { calls = join({ delete }, undo), host = { routes = {}, rules = {} } },
})

test.case("down: a failing nft is reported, and the routed part is still undone", {
  nic = { MODE = "routed", IP = "192.0.2.10" },
  action = "down",
  exec = { [delete:sub(6)] = { status = 1, stderr = "Error: element does not exist" } },
  expect = {
    error = "nft delete element inet filter marked_taps { tap0 } exited with status 1",
    host = { routes = {}, links = { tap0 = { up = false } } },
  },
})

test.case("up: a NIC without an IP is still the built-in hook's refusal, before nft runs", {
  nic = { MODE = "routed" },
  expect = { error = "has no IP address", calls = {} },
})
