-- Try a piece of site policy before it goes into a hook: pick each NIC's bridge from the
-- instance tags, as a site `kvm-vif-bridge` customisation would.
local bridges = require "site.bridges"
local log = require "taphouse.log"

local instances = {
  { name = "web1.example.org", tags = { "role:web", "bridge:br-dmz" } },
  { name = "db1.example.org", tags = { "role:db" } },
}

local plan = {}
for _, inst in ipairs(instances) do
  plan[inst.name] = bridges.for_tags(inst.tags, "br0")
end
log.info("bridge plan computed", { instances = #instances })
return plan
