--- Site settings of the per-tap BGP port: edit here, not in the hook. Found by `require` in the
--- hooks dir's lua/ folder.
return {
  -- Every tap gets this MAC, so a guest's neighbour entry for its gateway survives a migration.
  tap_mac = "5e:aa:bb:cc:dd:e0",
  -- The node's end of each tap's link-local link; the guest is fe80::2 there.
  gateway = "fe80::1/64",
  -- bird.conf includes "<peers_dir>/*.conf"; the node must allow hooks to write there
  -- (--hook-file-dir).
  peers_dir = "/etc/bird/bird.conf.d",
  -- birdc, with "-s SOCKET" when bird's control socket is not the default one.
  birdc = { "/usr/sbin/birdc" },
  -- The bird template each tap's session is made from (bird.conf defines it: local AS, the
  -- guest's neighbor fe80::2 external, the import and export filters).
  template = "vm_peer",
}
