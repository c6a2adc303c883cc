---@meta
-- Whole-file writes for what a daemon reads from a file (a bird peer snippet), only under the
-- folders the node allows (`--hook-file-dir`). Journaled: the NIC's `down`, or a failed `up`,
-- puts back what the file held or removes a file that was not there.

local file = {}

---Replaces a file whole (written beside it, synced, renamed over it). Refused outside the
---node's folders, for a path with `.`, `..` or `//`, for a symlink, and over 1 MiB. Writing what
---the file already holds changes nothing.
---@param path string absolute
---@param text string
---@param mode? integer|string permission bits: an integer, or octal digits as `"0640"`; 0644 when nil
---@param options? taphouse.FileOptions
function file.write(path, text, mode, options) end

return file
