---@meta

local vlan = {}

---Parses Ganeti's VLAN text (`.100`, `:200:300`, `.100:200`); an error for anything else.
---@param text string usually `nic.VLAN`
---@return taphouse.Vlan? vlan nil for the empty text (no VLAN)
function vlan.parse(text) end

return vlan
