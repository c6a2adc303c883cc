-- Specs for the built-in lifecycle hook: it does nothing at any event, so that a node without a
-- site instance.lua starts, stops and migrates as before. (Skipped where the site has its own.)
local test = require "taphouse.test"

for _, event in ipairs({
  "pre_start", "post_start", "pre_stop", "post_stop", "pre_migrate", "post_migrate", "nic_added", "nic_removed",
}) do
  test.case("the built-in instance.lua does nothing at " .. event, {
    lifecycle = { event = event, instance = { name = "web1.example.com", nics = { { interface = "tap0" } } } },
    expect = { calls = {} },
  })
end
