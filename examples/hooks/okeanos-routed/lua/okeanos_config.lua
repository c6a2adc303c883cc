--- Site settings of the Okeanos routed port: edit here, not in the hook. Found by `require` in
--- the hooks dir's lua/ folder.
return {
  -- Every routed tap gets this MAC (the guest's neighbour entry for its gateway survives a
  -- migration): "GRNET" in hex, as Okeanos had it.
  tap_mac = "cc:47:52:4e:45:54",
  iptables = "/usr/sbin/iptables",
  ip6tables = "/usr/sbin/ip6tables",
  arptables = "/usr/sbin/arptables",
  -- The firewall chains an instance tag synnefo:network:<NIC index>:<chain> may choose; the
  -- node's firewall defines them.
  firewall_chains = { "protected", "limited", "unprotected" },
  -- Where nfdhcpd reads a file per tap; the node must allow hooks to write there
  -- (--hook-file-dir).
  nfdhcpd_dir = "/var/lib/nfdhcpd",
}
