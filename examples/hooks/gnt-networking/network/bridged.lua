--- GRNET's gnt-networking for bridged NICs (its kvm-ifup-custom and kvm-ifdown-custom),
--- rewritten as a taphouse hook. The tap joins the bridge as the built-in hook makes it; then
--- the network's tags (nic.NETWORK.TAGS, Ganeti's NETWORK_TAGS) add:
---
--- * private-filtered: MAC filtering on a bridge shared by several private networks. Two
---   ebtables chains per tap, FROM<TAP> on what the guest sends (FORWARD and INPUT) and
---   TO<TAP> on what it receives (FORWARD and OUTPUT): the guest may send only with its own
---   MAC, and hears only from MACs that share its MAC's prefix under the mask in
---   gnt_networking_config.lua.
--- * nfdhcpd: the per-tap file nfdhcpd answers DHCP, DHCPv6 and router solicitations from.
---
--- Each command is run with the one that undoes it, so the journal takes it all away at down,
--- after a failed up and for a stale journal: no clear-first sweep, no down of its own.
local base = require "taphouse.builtin.network.bridged"
local config = require "gnt_networking_config"
local exec = require "taphouse.exec"
local file = require "taphouse.file"
local net = require "taphouse.net"

local M = {}

--- Whether `list` has `value`.
---@param list string[]
---@param value string
---@return boolean
function M.has(list, value)
  for _, item in ipairs(list) do
    if item == value then return true end
  end
  return false
end

--- The ebtables argv: the configured command, then `args`.
---@param args string[]
---@return string[]
function M.ebtables(args)
  local argv = {}
  for _, word in ipairs(config.ebtables) do argv[#argv + 1] = word end
  for _, word in ipairs(args) do argv[#argv + 1] = word end
  return argv
end

--- Runs `ebtables DO...`, journaled with `ebtables UNDO...`; a refusal fails the hook.
---@param nic taphouse.Nic
---@param args string[]
---@param undo string[]
function M.run(nic, args, undo)
  local argv = M.ebtables(args)
  local result = exec.run(argv, { undo = M.ebtables(undo), link = nic.INTERFACE })
  if result.status ~= 0 then
    error(("%s: exit %d: %s"):format(table.concat(argv, " "), result.status, result.stderr))
  end
end

--- Appends a rule to `chain` (`-A chain rule...`), undone by deleting it (`-D chain rule...`).
---@param nic taphouse.Nic
---@param chain string
---@param rule string[]
function M.append(nic, chain, rule)
  M.run(nic, { "-A", chain, table.unpack(rule) }, { "-D", chain, table.unpack(rule) })
end

--- The MAC filter of a private-filtered network.
---@param nic taphouse.Nic
function M.filter(nic)
  local tap = nic.INTERFACE
  local from, to = "FROM" .. tap:upper(), "TO" .. tap:upper()
  M.run(nic, { "-N", from, "-P", "RETURN" }, { "-X", from })
  M.append(nic, "FORWARD", { "-i", tap, "-j", from })
  M.append(nic, "INPUT", { "-i", tap, "-j", from })      -- multicast and broadcast reach INPUT
  M.run(nic, { "-N", to, "-P", "RETURN" }, { "-X", to })
  M.append(nic, "FORWARD", { "-o", tap, "-j", to })
  M.append(nic, "OUTPUT", { "-o", tap, "-j", to })
  M.append(nic, from, { "-s", "!", nic.MAC, "-j", "DROP" })
  M.append(nic, to, { "-s", "!", nic.MAC .. "/" .. config.mac_mask, "-j", "DROP" })
end

--- nfdhcpd's file for the tap: what it answers the guest with.
---@param nic taphouse.Nic
function M.nfdhcpd(nic)
  local network = nic.NETWORK
  local eui64
  if network.SUBNET6 and network.SUBNET6:match("/64$") then eui64 = net.eui64(nic.MAC, network.SUBNET6) end
  local lines = {}
  for _, field in ipairs {
    { "INDEV", nic.LINK }, { "IP", nic.IP }, { "MAC", nic.MAC }, { "HOSTNAME", nic.INSTANCE },
    { "TAGS", table.concat(nic.TAGS, " ") }, { "GATEWAY", network.GATEWAY }, { "SUBNET", network.SUBNET },
    { "GATEWAY6", network.GATEWAY6 }, { "SUBNET6", network.SUBNET6 }, { "EUI64", eui64 },
  } do
    lines[#lines + 1] = ("%s=%s\n"):format(field[1], field[2] or "")
  end
  file.write(config.nfdhcpd_dir .. "/" .. nic.INTERFACE, table.concat(lines), "0644", { link = nic.INTERFACE })
end

---@param nic taphouse.Nic
function M.up(nic)
  base.up(nic)
  local tags = nic.NETWORK and nic.NETWORK.TAGS or {}
  if M.has(tags, "private-filtered") then M.filter(nic) end
  if M.has(tags, "nfdhcpd") then M.nfdhcpd(nic) end
end

return M
