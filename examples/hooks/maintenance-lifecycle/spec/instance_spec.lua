-- Specs for the maintenance lifecycle hook: what each event does with which instance, on a fake
-- node (no nft runs: a spec answers for the command). Each case also checks that a failing call
-- leaves the node as it was, and that the instance's end undoes what a call changed.
local test = require "taphouse.test"

local web = {
  name = "web1.example.com", tags = { "web" },
  nics = { { mac = "aa:00:00:12:34:56", interface = "tap0" }, { mac = "aa:00:00:12:34:57", interface = "tap1" } },
}

test.case("an instance tagged maintenance does not start, and says why", {
  lifecycle = { event = "pre_start", instance = { name = "web1.example.com", tags = { "web", "maintenance" } } },
  expect = { error = { message = "web1.example.com is tagged maintenance: remove the tag to start it", line = 22 } },
})

test.case("any other instance starts, with nothing changed before it runs", {
  lifecycle = { event = "pre_start", instance = web },
  expect = { calls = {} },
})

test.case("a running instance gets its table of MACs, undone at its end", {
  lifecycle = { event = "post_start", instance = web },
  expect = { calls = { "exec /usr/sbin/nft -f -" } },
})

test.case("an instance without NICs gets no table", {
  lifecycle = { event = "post_start", instance = { name = "batch1.example.com" } },
  expect = { calls = {} },
})

test.case("nft refusing the table fails post_start, which the node reports", {
  lifecycle = { event = "post_start", instance = web },
  exec = { ["/usr/sbin/nft -f -"] = { status = 1, stderr = "Error: Could not process rule" } },
  expect = { error = "nft refused the table guests_web1_example_com: Error: Could not process rule" },
})

test.case("stopping is not this hook's business", {
  lifecycle = { event = "post_stop", reason = "crashed", instance = web },
  expect = { calls = {} },
})
