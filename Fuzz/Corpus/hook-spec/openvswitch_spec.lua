-- Specs for the built-in openvswitch hook: what Ganeti 3.2's net-ovs-up does (reference D.4): a
-- stale port of the tap's name removed, link up, the port added to LINK, the access tag from
-- `.V` and the trunks from `:V:W`.
local test = require "taphouse.test"

local switch = { ovs = { bridges = { "ovsbr0" } } }

test.case("up: the tap is up and a port of the switch", {
  nic = { MODE = "openvswitch", LINK = "ovsbr0" },
  host = switch,
  expect = {
    calls = { "set_up tap0", "ovs_add_port ovsbr0 tap0" },
    host = { links = { tap0 = { up = true } }, ovs = { ports = { tap0 = { bridge = "ovsbr0" } } } },
  },
})

test.case("up: a stale port of the same name goes first, and comes back on down", {
  nic = { MODE = "openvswitch", LINK = "ovsbr0" },
  host = { ovs = { bridges = { "ovsbr0", "ovsbr1" }, ports = { tap0 = { bridge = "ovsbr1", tag = 7 } } } },
  expect = {
    calls = { "ovs_del_port tap0", "set_up tap0", "ovs_add_port ovsbr0 tap0" },
    host = { ovs = { ports = { tap0 = { bridge = "ovsbr0" } } } },
  },
})

test.case("up: access VLAN .100 is the port's tag", {
  nic = { MODE = "openvswitch", LINK = "ovsbr0", VLAN = ".100" },
  host = switch,
  expect = {
    calls = { "set_up tap0", "ovs_add_port ovsbr0 tap0", "ovs_set_port tap0 tag=100 trunks=[]" },
    host = { ovs = { ports = { tap0 = { bridge = "ovsbr0", tag = 100 } } } },
  },
})

test.case("up: trunk :100:200 is the port's trunks, without a tag", {
  nic = { MODE = "openvswitch", LINK = "ovsbr0", VLAN = ":100:200" },
  host = switch,
  expect = {
    calls = { "set_up tap0", "ovs_add_port ovsbr0 tap0", "ovs_set_port tap0 tag=[] trunks=[100,200]" },
    host = { ovs = { ports = { tap0 = { bridge = "ovsbr0", trunks = { 100, 200 } } } } },
  },
})

test.case("up: hybrid .100:200:300 is a tag and trunks", {
  nic = { MODE = "openvswitch", LINK = "ovsbr0", VLAN = ".100:200:300" },
  host = switch,
  expect = { host = { ovs = { ports = { tap0 = { bridge = "ovsbr0", tag = 100, trunks = { 200, 300 } } } } } },
})

test.case("up: a switch that does not exist is an error, and the tap goes down again", {
  nic = { MODE = "openvswitch", LINK = "ovsbr9" },
  host = switch,
  expect = { error = "no bridge named ovsbr9", host = { links = { tap0 = { up = false } } } },
})

test.case("up: an empty VLAN sets neither tag nor trunks", {
  nic = { MODE = "openvswitch", LINK = "ovsbr0", VLAN = "" },
  host = switch,
  expect = { calls = { "set_up tap0", "ovs_add_port ovsbr0 tap0" } },
})

test.case("down: the port goes and the tap is down (Ganeti's down left the port behind)", {
  nic = { MODE = "openvswitch", LINK = "ovsbr0", VLAN = ".100" },
  action = "down",
  host = switch,
  expect = {
    calls = { "ovs_set_port tap0 tag=[] trunks=[]", "ovs_del_port tap0", "set_down tap0" },
    host = { ovs = { ports = { tap0 = false } }, links = { tap0 = { up = false } } },
  },
})
