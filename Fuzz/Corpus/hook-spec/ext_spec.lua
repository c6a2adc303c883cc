-- Specs for the dispatch: ext only from the site's hooks (Ganeti: `exec CONF/network/ext/$ACTION`
-- or exit 1), site overrides served before the built-in hooks, and wrapping a built-in hook.
local test = require "taphouse.test"

test.case("ext without a site hook is an error naming where the hook belongs", {
  without_site_hook = true,
  nic = { MODE = "ext", LINK = "net1" },
  expect = { error = "mode ext has no built-in hook", calls = {} },
})

test.case("ext runs the site's hook with the nic table", {
  nic = { MODE = "ext", LINK = "net1", IP = "192.0.2.20" },
  site = { ext = [[
local net = require "taphouse.net"
return { up = function(nic)
  net.set_up(nic.INTERFACE)
  net.route_replace { dst = nic.IP, dev = nic.INTERFACE, table = 200 }
end }
]] },
  expect = {
    calls = { "set_up tap0", "route_replace 192.0.2.20/32 dev tap0 table 200 proto 4" },
    host = { routes = { { dst = "192.0.2.20/32", dev = "tap0", table = 200 } } },
  },
})

test.case("ext before a migration (MIGRATION_PHASE pre) reaches the hook", {
  nic = { MODE = "ext", LINK = "net1" },
  phase = "pre",
  site = { ext = [[
local net = require "taphouse.net"
return { up = function(nic)
  if nic.MIGRATION_PHASE == "pre" then return end
  net.set_up(nic.INTERFACE)
end }
]] },
  expect = { calls = {} },
})

test.case("a site hook for a mode is served instead of the built-in one", {
  nic = { LINK = "br0" },
  host = { links = { br0 = { kind = "bridge", up = true } } },
  site = { bridged = [[
local net = require "taphouse.net"
return { up = function(nic) net.set_up(nic.INTERFACE) end }
]] },
  expect = { calls = { "set_up tap0" }, host = { links = { tap0 = { master = false } } } },
})

test.case("a site hook can wrap the built-in one", {
  nic = { LINK = "br0" },
  host = { links = { br0 = { kind = "bridge", up = true, mtu = 1500 } } },
  site = { bridged = [[
local base = require "taphouse.builtin.network.bridged"
local sysctl = require "taphouse.sysctl"
return { up = function(nic)
  base.up(nic)
  sysctl.set("net/ipv6/conf/" .. nic.INTERFACE .. "/forwarding", 1)
end }
]] },
  expect = {
    calls = {
      "set_mac tap0 fe:bb:cc:dd:ee:01", "set_mtu tap0 1500", "set_up tap0", "set_master tap0 br0",
      "sysctl net/ipv6/conf/tap0/forwarding=1",
    },
  },
})

test.case("a hook error names the hook's line, and what it did is undone", {
  nic = { LINK = "br0" },
  host = { links = { br0 = { kind = "bridge", up = true } } },
  site = { bridged = [[
local net = require "taphouse.net"
return { up = function(nic)
  net.set_up(nic.INTERFACE)
  error("no uplink for " .. nic.LINK)
end }
]] },
  expect = { error = { message = "no uplink for br0", line = 4 }, host = { links = { tap0 = { up = false } } } },
})
