-- Specs for the bridge-from-tag example. Run: taphouse hooks test --hooks-dir
-- examples/hooks/bridge-from-tag examples/hooks/bridge-from-tag/spec
local test = require "taphouse.test"

local host = {
  links = {
    br0 = { kind = "bridge", up = true, mtu = 1500 },
    br1 = { kind = "bridge", up = true, mtu = 9000, vlan_filtering = true },
    eth1 = { kind = "veth", up = true, master = "br1" },
  },
}

test.case("the bridge:<name> tag picks the bridge", {
  nic = { LINK = "br0", TAGS = { "web", "bridge:br1" } },
  host = host,
  expect = {
    calls = { "set_mac tap0 fe:bb:cc:dd:ee:01", "set_mtu tap0 9000", "set_up tap0", "set_master tap0 br1" },
    host = { links = { tap0 = { master = "br1", mtu = 9000 } } },
  },
})

test.case("without the tag, the NIC's link is the bridge", {
  nic = { LINK = "br0", TAGS = { "web" } },
  host = host,
  expect = { host = { links = { tap0 = { master = "br0", mtu = 1500 } } } },
})

test.case("the first bridge tag wins", {
  nic = { LINK = "br0", TAGS = { "bridge:br1", "bridge:br0" } },
  host = host,
  expect = { host = { links = { tap0 = { master = "br1" } } } },
})

test.case("the built-in VLAN handling applies on the tagged bridge", {
  nic = { LINK = "br0", TAGS = { "bridge:br1" }, VLAN = ".100" },
  host = host,
  expect = { host = { vlans = {
    tap0 = { { vid = 100, pvid = true, untagged = true } },
    eth1 = { { vid = 1, pvid = true, untagged = true }, { vid = 100 } },
  } } },
})

test.case("a tag naming a bridge the node lacks is the built-in hook's error", {
  nic = { LINK = "br0", TAGS = { "bridge:br7" } },
  host = host,
  expect = { error = "bridge br7 does not exist", calls = {} },
})

test.case("no tag and no link is refused, naming the NIC", {
  nic = { INSTANCE = "web1.example.com", INTERFACE_INDEX = 1 },
  host = host,
  expect = { error = { message = "NIC 1 of web1.example.com has no bridge", line = 24 } },
})
