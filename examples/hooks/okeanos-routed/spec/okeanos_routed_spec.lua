-- Specs for the Okeanos routed port. Run: taphouse hooks test --hooks-dir
-- examples/hooks/okeanos-routed examples/hooks/okeanos-routed/spec
local test = require "taphouse.test"

local host = {
  links = { eth1 = { kind = "veth", up = true }, tap0 = { kind = "tun", mac = "aa:00:00:12:34:56" } },
  routes = {
    { dst = "0.0.0.0/0", dev = "eth1", table = 100 }, { dst = "::/0", dev = "eth1", table = 100 },
  },
  file_dirs = { "/var/lib/nfdhcpd" },
}

local function nic(extra)
  local t = {
    MODE = "routed", MAC = "aa:00:00:12:34:56", IP = "192.0.2.10", LINK = "100", INSTANCE = "web1.example.com",
    NETWORK = {
      NAME = "public", TAGS = {}, SUBNET = "192.0.2.0/24", GATEWAY = "192.0.2.1", SUBNET6 = "2001:db8:1::/64",
    },
  }
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

local up = {
  "set_mac tap0 cc:47:52:4e:45:54", "set_up tap0",
  "exec /usr/sbin/iptables -A FORWARD -i tap0 -p udp --dport 67 -j DROP",
  "exec /usr/sbin/arptables -A OUTPUT -o tap0 --opcode Request -j mangle --mangle-ip-s 192.0.2.1",
  "rule_add ipv4 iif tap0 table 100", "route_replace 192.0.2.10/32 dev tap0 table 100 proto 4",
  "sysctl net/ipv4/conf/tap0/proxy_arp=1",
  "rule_add ipv6 iif tap0 table 100", "route_replace 2001:db8:1:0:a800:ff:fe12:3456/128 dev tap0 table 100 proto 4",
  "neigh_add proxy 2001:db8:1:0:a800:ff:fe12:3456 dev eth1", "sysctl net/ipv6/conf/tap0/proxy_ndp=0",
}
local nfdhcpd = "file_write /var/lib/nfdhcpd/tap0 0644"

local join = test.join

test.case("up: constant MAC, no DHCP forwarding, gateway ARP, the network's table, EUI-64 and its proxy", {
  nic = nic(), host = host,
  expect = {
    calls = join(up, { nfdhcpd }),
    host = {
      links = { tap0 = { mac = "cc:47:52:4e:45:54", up = true } },
      rules = { { family = 4, dev = "tap0", table = 100 }, { family = 6, dev = "tap0", table = 100 } },
      proxy_neighbours = { { proxy = "2001:db8:1::a800:ff:fe12:3456", dev = "eth1" } },
      files = { ["/var/lib/nfdhcpd/tap0"] = "IP=192.0.2.10\nMAC=aa:00:00:12:34:56\nLINK=100\n"
        .. "HOSTNAME=web1.example.com\nTAGS=\n" },
    },
  },
})

test.case("the firewall chain an instance tag chooses, the last one winning", {
  nic = nic { TAGS = { "synnefo:network:0:limited", "synnefo:network:1:unprotected", "synnefo:network:0:protected" } },
  host = host,
  expect = {
    calls = join(up, {
      "exec /usr/sbin/iptables -A FORWARD -o tap0 -j protected",
      "exec /usr/sbin/ip6tables -A FORWARD -o tap0 -j protected", nfdhcpd,
    }),
  },
})

test.case("down: everything up did, newest first; the proxy entry on the uplink too", {
  nic = nic(), host = host, action = "down",
  expect = {
    calls = {
      "file_remove /var/lib/nfdhcpd/tap0", "sysctl net/ipv6/conf/tap0/proxy_ndp=0",
      "neigh_del proxy 2001:db8:1:0:a800:ff:fe12:3456 dev eth1",
      "route_del 2001:db8:1:0:a800:ff:fe12:3456/128 dev tap0 table 100 proto 4",
      "rule_del ipv6 iif tap0 table 100",
      "sysctl net/ipv4/conf/tap0/proxy_arp=0",
      "route_del 192.0.2.10/32 dev tap0 table 100 proto 4",
      "rule_del ipv4 iif tap0 table 100",
      "exec /usr/sbin/arptables -D OUTPUT -o tap0 --opcode Request -j mangle --mangle-ip-s 192.0.2.1",
      "exec /usr/sbin/iptables -D FORWARD -i tap0 -p udp --dport 67 -j DROP",
      "set_down tap0", "set_mac tap0 aa:00:00:12:34:56",
    },
    host = { proxy_neighbours = {}, rules = {}, files = { ["/var/lib/nfdhcpd/tap0"] = false } },
  },
})

test.case("a network without IPv6 and a gateway: the IPv4 part only", {
  nic = nic { NETWORK = { NAME = "public4", TAGS = {} } }, host = host,
  expect = {
    calls = {
      "set_mac tap0 cc:47:52:4e:45:54", "set_up tap0",
      "exec /usr/sbin/iptables -A FORWARD -i tap0 -p udp --dport 67 -j DROP",
      "rule_add ipv4 iif tap0 table 100", "route_replace 192.0.2.10/32 dev tap0 table 100 proto 4",
      "sysctl net/ipv4/conf/tap0/proxy_arp=1", nfdhcpd,
    },
  },
})

test.case("a LINK naming no table the node knows: refused before anything changes", {
  nic = nic { LINK = "customers" }, host = host,
  expect = { error = "routing table customers", calls = {} },
})
