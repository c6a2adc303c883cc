---@meta
-- Open vSwitch through ovs-vsctl. On a node without Open vSwitch the changing functions fail and
-- `port` returns nil.

local ovs = {}

---Reads a port.
---@param name string
---@return taphouse.OvsPort? port nil when there is no such port
function ovs.port(name) end

---Adds a port to a switch.
---@param bridge string the switch, usually `nic.LINK`
---@param port string the port, usually `nic.INTERFACE`
function ovs.add_port(bridge, port) end

---Deletes a port; an error when there is no such port.
---@param port string
function ovs.del_port(port) end

---Sets a port's access tag and trunks, replacing both.
---@param port string
---@param options taphouse.OvsPortOptions
function ovs.set_port(port, options) end

return ovs
