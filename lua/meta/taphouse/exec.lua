---@meta
-- For what the native modules lack. An argv, never a shell string, so a NIC field cannot
-- inject a command; journaled for the record, but `down` cannot undo what it did.

local exec = {}

---Runs a program and waits for it, with its output captured.
---@param argv string[] the program (an absolute path) and its arguments
---@param options? taphouse.ExecOptions
---@return taphouse.ExecResult result a non-zero status is not an error; check it
function exec.run(argv, options) end

return exec
