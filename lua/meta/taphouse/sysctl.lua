---@meta
-- Only sysctls under /proc/sys/net, named by path without that prefix, so a hook cannot reach
-- the rest of the kernel's settings.

local sysctl = {}

---Reads a sysctl, as the kernel prints it.
---@param path string relative to /proc/sys, as `net/ipv4/conf/tap0/proxy_arp`
---@return string? value nil when the sysctl does not exist (an interface without IPv6)
function sysctl.get(path) end

---Sets a sysctl; journaled, so the NIC's `down` puts the old value back.
---@param path string relative to /proc/sys, as `net/ipv4/conf/tap0/proxy_arp`
---@param value string|integer
function sysctl.set(path, value) end

return sysctl
