-- Specs for the built-in bridged hook: what Ganeti 3.2's network/bridged/up does (reference
-- D.4): fix_mac, link up, the bridge's MTU, the bridge port, and on a vlan_filtering bridge the
-- tap's VLANs (access `.V`, trunk `:V:W`, hybrid `.V:W`) with each VLAN also on the uplinks.
local test = require "taphouse.test"

-- A node with bridge br0 (MTU 9000 unless given) and, where asked, a veth uplink eth1 on it.
local function node(options)
  options = options or {}
  local links = {
    br0 = { kind = "bridge", up = true, mtu = options.mtu or 9000, mac = "52:54:00:00:00:01",
            vlan_filtering = options.filtering or false },
    tap0 = { kind = "tun", mac = options.tap_mac or "aa:bb:cc:dd:ee:01" },
  }
  if options.uplink then links.eth1 = { kind = "veth", up = true, mtu = 9000, master = "br0" } end
  for name, link in pairs(options.extra or {}) do links[name] = link end
  return { links = links, vlans = options.vlans }
end

local basic = { "set_mac tap0 fe:bb:cc:dd:ee:01", "set_mtu tap0 9000", "set_up tap0", "set_master tap0 br0" }

test.case("up: MAC first octet fe, up, the bridge's MTU, a port of the bridge", {
  nic = { LINK = "br0" },
  host = node(),
  expect = {
    calls = basic,
    host = { links = { tap0 = { up = true, mtu = 9000, master = "br0", mac = "fe:bb:cc:dd:ee:01" } } },
  },
})

test.case("up: a MAC that already starts with fe is left alone", {
  nic = { LINK = "br0" },
  host = node { tap_mac = "fe:bb:cc:dd:ee:07" },
  expect = {
    calls = { "set_mtu tap0 9000", "set_up tap0", "set_master tap0 br0" },
    host = { links = { tap0 = { mac = "fe:bb:cc:dd:ee:07" } } },
  },
})

test.case("up: the MTU is the bridge's even when it is smaller than the tap's", {
  nic = { LINK = "br0" },
  host = node { mtu = 1400 },
  expect = { host = { links = { tap0 = { mtu = 1400, master = "br0", up = true } } } },
})

test.case("up: a bridge that does not exist is an error and changes nothing", {
  nic = { LINK = "br9" },
  host = node(),
  expect = { error = { message = "bridge br9 does not exist", line = 68 }, calls = {} },
})

test.case("up: a NIC without VLAN on a filtering bridge stays in the bridge's default VLAN", {
  nic = { LINK = "br0" },
  host = node { filtering = true, uplink = true },
  expect = {
    calls = basic,
    host = { vlans = { tap0 = { { vid = 1, pvid = true, untagged = true } },
                       eth1 = { { vid = 1, pvid = true, untagged = true } } } },
  },
})

test.case("up: an empty VLAN (the key present, no value) sets no VLAN", {
  nic = { LINK = "br0", VLAN = "" },
  host = node(),
  expect = { calls = basic },
})

test.case("up: access VLAN .100: untagged with pvid on the tap, tagged on the uplink, VLAN 1 gone", {
  nic = { LINK = "br0", VLAN = ".100" },
  host = node { filtering = true, uplink = true },
  expect = {
    calls = {
      "set_mac tap0 fe:bb:cc:dd:ee:01", "set_mtu tap0 9000", "set_up tap0", "set_master tap0 br0",
      "bridge_vlan_add tap0 100 pvid untagged", "bridge_vlan_del tap0 1", "bridge_vlan_add eth1 100",
    },
    host = { vlans = {
      tap0 = { { vid = 100, pvid = true, untagged = true } },
      eth1 = { { vid = 1, pvid = true, untagged = true }, { vid = 100 } },
    } },
  },
})

test.case("up: trunk :100:200: both tagged on the tap and the uplink, no native VLAN", {
  nic = { LINK = "br0", VLAN = ":100:200" },
  host = node { filtering = true, uplink = true },
  expect = {
    calls = {
      "set_mac tap0 fe:bb:cc:dd:ee:01", "set_mtu tap0 9000", "set_up tap0", "set_master tap0 br0",
      "bridge_vlan_add tap0 100", "bridge_vlan_add tap0 200", "bridge_vlan_del tap0 1",
      "bridge_vlan_add eth1 100", "bridge_vlan_add eth1 200",
    },
    host = { vlans = { tap0 = { { vid = 100 }, { vid = 200 } } } },
  },
})

test.case("up: hybrid .100:200:300: native 100 untagged, 200 and 300 tagged", {
  nic = { LINK = "br0", VLAN = ".100:200:300" },
  host = node { filtering = true, uplink = true },
  expect = {
    host = { vlans = {
      tap0 = { { vid = 100, pvid = true, untagged = true }, { vid = 200 }, { vid = 300 } },
      eth1 = { { vid = 1, pvid = true, untagged = true }, { vid = 100 }, { vid = 200 }, { vid = 300 } },
    } },
  },
})

test.case("up: VLANs on a bridge without vlan_filtering are refused, and what was done is undone", {
  nic = { LINK = "br0", VLAN = ".100" },
  host = node { uplink = true },
  expect = { error = { message = "bridge br0 has no vlan_filtering, which VLAN .100 needs", line = 40 } },
})

test.case("up: a VLAN in anything but Ganeti's notation is refused", {
  nic = { LINK = "br0", VLAN = ".100:x" },
  host = node { filtering = true },
  expect = { error = [[VLAN ".100:x": "x" is not a VLAN id (1-4094)]] },
})

test.case("up: a bare VLAN id is read as access, as Ganeti reads it", {
  nic = { LINK = "br0", VLAN = "100" },
  host = node { filtering = true },
  expect = { host = { vlans = { tap0 = { { vid = 100, pvid = true, untagged = true } } } } },
})

test.case("up: the VLAN is added on every uplink of the bridge, never on other taps", {
  nic = { LINK = "br0", VLAN = ".100" },
  host = node {
    filtering = true, uplink = true,
    extra = {
      bond0 = { kind = "bond", up = true, master = "br0" },
      tap7 = { kind = "tun", up = true, master = "br0" },
      tapveth = { kind = "veth", up = true, master = "br0" },
    },
  },
  expect = {
    host = { vlans = {
      bond0 = { { vid = 1, pvid = true, untagged = true }, { vid = 100 } },
      eth1 = { { vid = 1, pvid = true, untagged = true }, { vid = 100 } },
      tap7 = { { vid = 1, pvid = true, untagged = true } },
      tapveth = { { vid = 1, pvid = true, untagged = true } },
    } },
  },
})

test.case("down: an uplink VLAN the admin configured stays", {
  nic = { LINK = "br0", VLAN = ".100" },
  action = "down",
  host = node { filtering = true, uplink = true,
                vlans = { eth1 = { { vid = 1, pvid = true, untagged = true }, { vid = 100 } } } },
  expect = { host = { vlans = { eth1 = { { vid = 1, pvid = true, untagged = true }, { vid = 100 } } } } },
})

test.case("down: an uplink VLAN another tap still uses stays", {
  nic = { LINK = "br0", VLAN = ".100" },
  action = "down",
  host = node {
    filtering = true, uplink = true,
    extra = { tap1 = { kind = "tun", up = true, master = "br0" } },
    vlans = {
      tap1 = { { vid = 100, pvid = true, untagged = true } },
      eth1 = { { vid = 1, pvid = true, untagged = true }, { vid = 100 } },
    },
  },
  expect = {
    host = { vlans = { eth1 = { { vid = 1, pvid = true, untagged = true }, { vid = 100 } } } },
  },
})

test.case("down: the journal is undone in reverse, back to the tap as it was created", {
  nic = { LINK = "br0", VLAN = ".100" },
  action = "down",
  host = node { filtering = true, uplink = true },
  expect = {
    calls = {
      -- VLAN 1 comes back as it was when it was deleted: untagged, its pvid already gone to 100
      "bridge_vlan_del eth1 100", "bridge_vlan_add tap0 1 untagged", "bridge_vlan_del tap0 100",
      "set_nomaster tap0", "set_down tap0", "set_mtu tap0 1500", "set_mac tap0 aa:bb:cc:dd:ee:01",
    },
    host = {
      links = { tap0 = { up = false, mtu = 1500, master = false, mac = "aa:bb:cc:dd:ee:01" } },
      vlans = { eth1 = { { vid = 1, pvid = true, untagged = true } } },
    },
  },
})

test.case("up: a NIC given as a whole instance spec, by index", {
  instance = {
    name = "web1.example.com", uuid = "4f1e7c66-2d5a-4a4e-9d2b-1f0a2b3c4d5e", tags = { "web" },
    beparams = { maxmem = 512, vcpus = 1 },
    disks = { { uuid = "9f5c5bd4-6f60-4f6a-9b1b-4e7d9e0c1a22", path = "/dev/vg/web1-disk0" } },
    nics = {
      { mac = "aa:00:00:00:00:01", uuid = "0b7e5a55-6f0c-4c1e-8a3a-2f1d0e9c8b7a",
        nicparams = { mode = "bridged", link = "br0" } },
      { mac = "aa:00:00:00:00:02", uuid = "1c8f6b66-7a1d-4d2f-9b4b-3a2e1f0d9c8b",
        nicparams = { mode = "bridged", link = "br1" } },
    },
  },
  nic_index = 1,
  host = { links = { br1 = { kind = "bridge", up = true, mtu = 1450 } } },
  expect = { host = { links = { tap0 = { master = "br1", mtu = 1450 } } } },
})

test.case("down: an uplink VLAN that a tap brought up later shares stays on the uplink", {
  nic = { LINK = "br0", VLAN = ".100" },
  others = { { INTERFACE = "tap1" } },
  action = "down",
  host = node { filtering = true, uplink = true },
  expect = {
    calls = {
      "bridge_vlan_add tap0 1 untagged", "bridge_vlan_del tap0 100", "set_nomaster tap0", "set_down tap0",
      "set_mtu tap0 1500", "set_mac tap0 aa:bb:cc:dd:ee:01",
    },
    host = { vlans = {
      eth1 = { { vid = 1, pvid = true, untagged = true }, { vid = 100 } },
      tap1 = { { vid = 100, pvid = true, untagged = true } },
    } },
  },
})

test.case("up: joining a VLAN another tap already has on the uplink, then down, keeps it for that tap", {
  nic = { LINK = "br0", VLAN = ":100" },
  others = { { INTERFACE = "tap1", VLAN = ".100" } },
  host = node { filtering = true, uplink = true },
  expect = { host = { vlans = { eth1 = { { vid = 1, pvid = true, untagged = true }, { vid = 100 } } } } },
})
