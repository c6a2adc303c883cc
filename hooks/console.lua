--- Built-in console policy: the console taphouse computed natively, unchanged. That is Ganeti's
--- rule (reference E): the serial console over ssh when `serial_console` is on, else VNC when
--- `vnc_bind_address` is set and the port is above 5900, else SPICE when `spice_bind` is set,
--- else a message. A site overrides it with its own console.lua, which may build on this one:
--- `local base = require "taphouse.builtin.console"`.
local M = {}

---@param instance taphouse.ConsoleInstance the instance, read-only
---@param default taphouse.Console what taphouse computed
---@return taphouse.Console
function M.console(instance, default)
  return default
end

return M
