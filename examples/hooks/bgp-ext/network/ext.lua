--- A BGP session in bird per tap, for a guest that announces its own addresses (routed VMs
--- without a bridge, after Rudolph Bott's "Look Ma, no Bridge" write-up), rewritten as a
--- taphouse hook for ext NICs. Up gives the tap a constant MAC and the link-local address the
--- guest peers with, writes a bird protocol for the tap into bird's include folder and has bird
--- read it (`birdc configure`). Down is the journal's undo: the file goes, bird reads its
--- configuration again and drops the session, and the address and MAC go back.
---
--- On a migration target the pre call prepares the tap only; the session starts with the post
--- call, once the guest runs here (Ganeti's advice: announce in post), and since post continues
--- pre, the tap is not touched in between.
local config = require "bgp_ext_config"
local file = require "taphouse.file"
local net = require "taphouse.net"

local M = {}

--- The bird protocol for the tap's session.
---@param tap string
---@return string
function M.protocol(tap)
  local name = "vm_" .. tap:gsub("[^%w_]", "_")
  local gateway = config.gateway:match("^[^/]+")
  return ('protocol bgp %s from %s {\n  local %s;\n  interface "%s";\n}\n'):format(name, config.template, gateway, tap)
end

---@param nic taphouse.Nic
function M.up(nic)
  local tap = nic.INTERFACE
  net.set_link(tap, { mac = config.tap_mac, up = true })
  net.address_replace { address = config.gateway, dev = tap }
  if nic.MIGRATION_PHASE == "pre" then return end
  local configure = {}
  for _, word in ipairs(config.birdc) do configure[#configure + 1] = word end
  configure[#configure + 1] = "configure"
  file.write(config.peers_dir .. "/50_" .. tap .. ".conf", M.protocol(tap), "0644",
    { reload = configure, link = tap, timeout_ms = 10000 })
end

return M
