--- Run Ganeti-style network scripts from a taphouse hook, with Ganeti's exact environment,
--- while porting them to Lua:
---
---     -- /etc/taphouse/hooks/network/bridged.lua
---     return require("taphouse.ganeti").scripts("/etc/ganeti/network/bridged")
---
---     -- the old single-script kvm-vif-bridge (ACTION tells up from down)
---     return require("taphouse.ganeti").script("/etc/ganeti/kvm-vif-bridge")
local native = require "taphouse.ganeti.native"

local M = {}

--- A hook table whose up and down run `<dir>/up TAP` and `<dir>/down TAP`.
---@param dir string absolute path of the folder holding `up` and `down`
---@param options? { timeout_ms: integer }
---@return { up: fun(nic: taphouse.Nic), down: fun(nic: taphouse.Nic) }
function M.scripts(dir, options)
  -- Checked when the hook loads (and so by `taphouse hooks check`), not at the first start.
  native.executable(dir .. "/up")
  native.executable(dir .. "/down")
  return {
    up = function(nic) native.run(dir .. "/up", nic, options) end,
    down = function(nic) native.run(dir .. "/down", nic, options) end,
  }
end

--- A hook table whose up and down both run `path TAP` (with ACTION up or down).
---@param path string absolute path of the script
---@param options? { timeout_ms: integer }
---@return { up: fun(nic: taphouse.Nic), down: fun(nic: taphouse.Nic) }
function M.script(path, options)
  native.executable(path)
  local function run(nic) native.run(path, nic, options) end
  return { up = run, down = run }
end

return M
