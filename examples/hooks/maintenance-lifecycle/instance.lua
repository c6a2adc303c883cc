--- A lifecycle hook: an instance tagged "maintenance" does not start (the user sees why), and
--- a running instance has an nftables table of its own with its NICs' MACs, for the site's
--- firewall to match on (`ether saddr @macs`). The table goes when the instance does: the
--- exec's undo, run from the instance's lifecycle journal after post_stop, or when the start
--- fails after post_start made it.
local exec = require "taphouse.exec"

---@type taphouse.InstanceHook
local M = {}

--- The instance's nftables table: nft names take letters, digits and underscores.
---@param instance taphouse.Instance
---@return string
local function table_name(instance)
  return "guests_" .. (instance.name:gsub("[^%w_]", "_"))
end

---@param instance taphouse.Instance
function M.pre_start(instance)
  for _, tag in ipairs(instance.tags) do
    if tag == "maintenance" then
      error(instance.name .. " is tagged maintenance: remove the tag to start it")
    end
  end
end

---@param instance taphouse.Instance
function M.post_start(instance)
  local macs = {}
  for _, nic in ipairs(instance.nics) do macs[#macs + 1] = nic.mac end
  if #macs == 0 then return end
  local name = table_name(instance)
  local result = exec.run({ "/usr/sbin/nft", "-f", "-" }, {
    stdin = ("add table inet %s\nadd set inet %s macs { type ether_addr; }\nadd element inet %s macs { %s }\n")
      :format(name, name, name, table.concat(macs, ", ")),
    undo = { "/usr/sbin/nft", "delete", "table", "inet", name },
  })
  if result.status ~= 0 then error("nft refused the table " .. name .. ": " .. result.stderr) end
end

return M
