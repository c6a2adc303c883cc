-- Specs for the gnt-networking port. Run: taphouse hooks test --hooks-dir
-- examples/hooks/gnt-networking examples/hooks/gnt-networking/spec
local test = require "taphouse.test"

local bridged = { "set_mac tap0 fe:00:00:12:34:56", "set_mtu tap0 1500", "set_up tap0", "set_master tap0 br0" }
local filter = {
  "exec /usr/sbin/ebtables -N FROMTAP0 -P RETURN",
  "exec /usr/sbin/ebtables -A FORWARD -i tap0 -j FROMTAP0",
  "exec /usr/sbin/ebtables -A INPUT -i tap0 -j FROMTAP0",
  "exec /usr/sbin/ebtables -N TOTAP0 -P RETURN",
  "exec /usr/sbin/ebtables -A FORWARD -o tap0 -j TOTAP0",
  "exec /usr/sbin/ebtables -A OUTPUT -o tap0 -j TOTAP0",
  "exec /usr/sbin/ebtables -A FROMTAP0 -s ! aa:00:00:12:34:56 -j DROP",
  "exec /usr/sbin/ebtables -A TOTAP0 -s ! aa:00:00:12:34:56/ff:ff:f0:00:00:00 -j DROP",
}
local unfilter = {
  "exec /usr/sbin/ebtables -D TOTAP0 -s ! aa:00:00:12:34:56/ff:ff:f0:00:00:00 -j DROP",
  "exec /usr/sbin/ebtables -D FROMTAP0 -s ! aa:00:00:12:34:56 -j DROP",
  "exec /usr/sbin/ebtables -D OUTPUT -o tap0 -j TOTAP0",
  "exec /usr/sbin/ebtables -D FORWARD -o tap0 -j TOTAP0",
  "exec /usr/sbin/ebtables -X TOTAP0",
  "exec /usr/sbin/ebtables -D INPUT -i tap0 -j FROMTAP0",
  "exec /usr/sbin/ebtables -D FORWARD -i tap0 -j FROMTAP0",
  "exec /usr/sbin/ebtables -X FROMTAP0",
}
local unbridged = { "set_nomaster tap0", "set_down tap0", "set_mtu tap0 1500", "set_mac tap0 aa:00:00:12:34:56" }

local join = test.join

local host = { links = { br0 = { kind = "bridge", up = true }, tap0 = { kind = "tun", mac = "aa:00:00:12:34:56" } } }

local function nic(tags, extra)
  local t = {
    MAC = "aa:00:00:12:34:56", LINK = "br0", IP = "10.0.5.7",
    NETWORK = { NAME = "private5", TAGS = tags, SUBNET = "10.0.5.0/24", SUBNET6 = "2001:db8:5::/64" },
  }
  for k, v in pairs(extra or {}) do t.NETWORK[k] = v end
  return t
end

test.case("a network without tags: the built-in bridged set-up only", {
  nic = nic({}), host = host, expect = { calls = bridged },
})

test.case("private-filtered: two chains per tap, the guest's own MAC out, its prefix in", {
  nic = nic({ "private-filtered" }), host = host, expect = { calls = join(bridged, filter) },
})

test.case("down: the rules go before their chains, newest first, then the bridged part", {
  nic = nic({ "private-filtered" }), host = host, action = "down",
  expect = { calls = join(unfilter, unbridged) },
})

test.case("a refused ebtables fails the up and undoes what was done, the chain included", {
  nic = nic({ "private-filtered" }), host = host,
  exec = { ["/usr/sbin/ebtables -A INPUT -i tap0 -j FROMTAP0"] = { status = 2, stderr = "Chain INPUT does not exist" } },
  expect = {
    error = "/usr/sbin/ebtables -A INPUT -i tap0 -j FROMTAP0: exit 2: Chain INPUT does not exist",
    calls = join(bridged, {
      "exec /usr/sbin/ebtables -N FROMTAP0 -P RETURN",
      "exec /usr/sbin/ebtables -A FORWARD -i tap0 -j FROMTAP0",
      "exec /usr/sbin/ebtables -A INPUT -i tap0 -j FROMTAP0",
      "exec /usr/sbin/ebtables -D INPUT -i tap0 -j FROMTAP0",
      "exec /usr/sbin/ebtables -D FORWARD -i tap0 -j FROMTAP0",
      "exec /usr/sbin/ebtables -X FROMTAP0",
    }, unbridged),
  },
})

test.case("nfdhcpd: the tap's file, with the network's addresses and the EUI-64 address", {
  nic = nic({ "nfdhcpd" }, { GATEWAY = "10.0.5.1", GATEWAY6 = "2001:db8:5::1" }),
  host = { links = host.links, file_dirs = { "/var/lib/nfdhcpd" } },
  expect = {
    calls = join(bridged, { "file_write /var/lib/nfdhcpd/tap0 0644" }),
    host = { files = { ["/var/lib/nfdhcpd/tap0"] = table.concat {
      "INDEV=br0\n", "IP=10.0.5.7\n", "MAC=aa:00:00:12:34:56\n", "HOSTNAME=instance1.example.com\n", "TAGS=\n",
      "GATEWAY=10.0.5.1\n", "SUBNET=10.0.5.0/24\n", "GATEWAY6=2001:db8:5::1\n", "SUBNET6=2001:db8:5::/64\n",
      "EUI64=2001:db8:5:0:a800:ff:fe12:3456\n",
    } } },
  },
})

test.case("nfdhcpd on a node that allows no file writes: the up fails, naming why", {
  nic = nic({ "nfdhcpd" }), host = host,
  expect = { error = "the node allows hooks no file writes" },
})
