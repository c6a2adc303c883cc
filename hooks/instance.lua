-- The built-in lifecycle hook: it does nothing. A site's instance.lua (in the hooks directory)
-- serves instead and returns any of pre_start, post_start, pre_stop, post_stop, pre_migrate,
-- post_migrate, nic_added and nic_removed, each called with the read-only instance table
-- (docs/hooks.md, "Lifecycle hooks").
return {}
