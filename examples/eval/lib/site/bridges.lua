--- Site policy: which bridge an instance's NIC joins, chosen by instance tag.
local M = {}

--- The bridge for an instance with these tags: `bridge:NAME` wins, else `default`.
---@param tags string[]
---@param default string
---@return string
function M.for_tags(tags, default)
  for _, tag in ipairs(tags) do
    local name = tag:match("^bridge:([%w%-_.]+)$")
    if name then return name end
  end
  return default
end

return M
