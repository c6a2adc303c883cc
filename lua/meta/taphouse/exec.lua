---@meta
-- For what the native modules lack. An argv, never a shell string, so a NIC field cannot
-- inject a command. Journaled before it runs; with `undo`, undo runs the command given (a
-- failed `up`, `down`, a stale journal), without, it is recorded and never undone. The command
-- runs in a process group of its own; the call returns when it exits, and what it left running
-- is killed (unless `detach`) and reported in the result. Its wait counts against its own
-- timeout, not the hook's Lua budget.

local exec = {}

---Runs a program and waits for its exit, with its output captured.
---@param argv string[] the program (an absolute path) and its arguments
---@param options? taphouse.ExecOptions
---@return taphouse.ExecResult result a non-zero status is not an error; check it
function exec.run(argv, options) end

return exec
