---@meta
-- Hooks log through the node's logger: the node adds the instance, NIC and hook file to every
-- entry, so a hook passes only what it knows.

local log = {}

---Logs at debug level.
---@param message string a constant text; put values in `fields`
---@param fields? table<string, any> metadata added to the entry
function log.debug(message, fields) end

---Logs at info level.
---@param message string a constant text; put values in `fields`
---@param fields? table<string, any> metadata added to the entry
function log.info(message, fields) end

---Logs at notice level.
---@param message string a constant text; put values in `fields`
---@param fields? table<string, any> metadata added to the entry
function log.notice(message, fields) end

---Logs at warning level.
---@param message string a constant text; put values in `fields`
---@param fields? table<string, any> metadata added to the entry
function log.warning(message, fields) end

---Logs at error level; the hook goes on (call `error` to fail it).
---@param message string a constant text; put values in `fields`
---@param fields? table<string, any> metadata added to the entry
function log.error(message, fields) end

return log
