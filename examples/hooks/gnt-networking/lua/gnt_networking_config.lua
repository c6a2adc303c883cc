--- Site settings of the gnt-networking port (GRNET's /etc/default/gnt-networking): edit here,
--- not in the hook. Found by `require` in the hooks dir's lua/ folder.
return {
  -- The ebtables command (ebtables-nft needs no lock; the legacy one wants "--concurrent").
  ebtables = { "/usr/sbin/ebtables" },
  -- A NIC on a private-filtered network hears only frames from MACs sharing its own MAC's first
  -- bits under this mask (GRNET's MAC_MASK: one prefix per private network).
  mac_mask = "ff:ff:f0:00:00:00",
  -- Where nfdhcpd reads a file per tap (networks tagged nfdhcpd); the node must allow hooks to
  -- write there (--hook-file-dir).
  nfdhcpd_dir = "/var/lib/nfdhcpd",
}
