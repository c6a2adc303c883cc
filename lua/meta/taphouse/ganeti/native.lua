---@meta
-- The primitive under `taphouse.ganeti`, which most hooks use instead: it turns a script folder
-- into a hook table.

local native = {}

---An error unless `path` is an executable file: `taphouse.ganeti.scripts` checks its folder's
---`up` and `down` when the hook loads, so `taphouse hooks check` finds a missing one.
---@param path string absolute path of the script
function native.executable(path) end

---Runs a Ganeti network script as `script nic.INTERFACE` with Ganeti's environment built from
---`nic`; an error (with the output's last lines) when it exits non-zero.
---@param script string absolute path of the script
---@param nic taphouse.Nic
---@param options? taphouse.GanetiOptions
---@return string? stdout nil in a dry run, where the script does not run
function native.run(script, nic, options) end

return native
