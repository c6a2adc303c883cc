-- Specs for the per-tap BGP port. Run: taphouse hooks test --hooks-dir
-- examples/hooks/bgp-ext examples/hooks/bgp-ext/spec
local test = require "taphouse.test"

local host = { file_dirs = { "/etc/bird/bird.conf.d" } }
local peer = "/etc/bird/bird.conf.d/50_tap0.conf"
local tap = { "set_mac tap0 5e:aa:bb:cc:dd:e0", "set_up tap0", "address_replace fe80::1/64 dev tap0" }

local join = test.join

test.case("start: the tap, its link-local address, the session's file and bird reading it", {
  nic = { MODE = "ext" }, host = host,
  expect = {
    calls = join(tap, { "file_write " .. peer .. " 0644", "exec /usr/sbin/birdc configure" }),
    host = {
      links = { tap0 = { mac = "5e:aa:bb:cc:dd:e0", up = true } },
      addresses = { { address = "fe80::1/64", dev = "tap0" } },
      files = { [peer] = 'protocol bgp vm_tap0 from vm_peer {\n  local fe80::1;\n  interface "tap0";\n}\n' },
    },
  },
})

test.case("pre: the tap only; no session before the guest runs here", {
  nic = { MODE = "ext" }, host = host, phase = "pre",
  expect = { calls = tap, host = { files = { [peer] = false } } },
})

test.case("post continues pre: the session, the tap untouched", {
  nic = { MODE = "ext" }, host = host, phase = "post",
  expect = { calls = join(tap, { "file_write " .. peer .. " 0644", "exec /usr/sbin/birdc configure" }) },
})

test.case("down: the file goes, then bird reads its configuration again; then the tap", {
  nic = { MODE = "ext" }, host = host, action = "down",
  expect = {
    calls = {
      "file_remove " .. peer, "exec /usr/sbin/birdc configure", "address_del fe80::1/64 dev tap0",
      "set_down tap0", "set_mac tap0 aa:bb:cc:dd:ee:01",
    },
  },
})

test.case("bird refusing the configuration fails the up, and nothing is left", {
  nic = { MODE = "ext" }, host = host,
  exec = { ["/usr/sbin/birdc configure"] = { status = 1, stdout = "bird.conf:12:3 syntax error" } },
  expect = { error = "the reload after file_write " .. peer .. " 0644 exited with status 1: bird.conf:12:3 syntax error" },
})
