-- Specs for the built-in console policy: it returns what taphouse computed natively, which is
-- Ganeti's rule (reference E): serial over ssh, else VNC above port 5900, else SPICE, else a
-- message. A case without `default` gets the native description from its instance.
local test = require "taphouse.test"

test.case("serial console on: ssh to the primary node running the console command", {
  console = { instance = { name = "web1.example.com", primary_node = "node3.example.com" } },
  expect = {
    console = {
      kind = "ssh", host = "node3.example.com", port = 22, user = "root",
      command = { "taphouse", "instance", "console", "web1.example.com" },
    },
  },
})

test.case("the node's ssh user and port are the node's", {
  console = {
    instance = { name = "web1.example.com" },
    ssh_user = "ganeti", ssh_port = 2222,
    command = { "/usr/local/bin/taphouse", "instance", "console", "web1.example.com", "--state-dir", "/run/th" },
  },
  expect = {
    console = {
      kind = "ssh", host = "node1.example.com", port = 2222, user = "ganeti",
      command = { "/usr/local/bin/taphouse", "instance", "console", "web1.example.com", "--state-dir", "/run/th" },
    },
  },
})

test.case("serial off, VNC bound, port 5901: VNC display 1 at the bind address as given", {
  console = {
    instance = { network_port = 5901, hvparams = { serial_console = false, vnc_bind_address = "0.0.0.0" } },
  },
  expect = { console = { kind = "vnc", host = "0.0.0.0", port = 5901, display = 1 } },
})

test.case("VNC on port 5900 or below has no display: a message", {
  console = {
    instance = { network_port = 5900, hvparams = { serial_console = false, vnc_bind_address = "0.0.0.0" } },
  },
  expect = { console = { kind = "message", message = "No serial shell for instance instance1.example.com" } },
})

test.case("serial off, SPICE bound: SPICE at the bind address", {
  console = {
    instance = { network_port = 6100, hvparams = { serial_console = false, spice_bind = "192.0.2.5" } },
  },
  expect = { console = { kind = "spice", host = "192.0.2.5", port = 6100 } },
})

test.case("SPICE with TLS: the network port is the TLS port", {
  console = {
    instance = {
      network_port = 6100, hvparams = { serial_console = false, spice_bind = "192.0.2.5", spice_use_tls = true },
    },
  },
  expect = { console = { kind = "spice", host = "192.0.2.5", port = 6100, tls_port = 6100 } },
})

test.case("serial console wins over VNC", {
  console = { instance = { network_port = 5901, hvparams = { vnc_bind_address = "0.0.0.0" } } },
  expect = {
    console = {
      kind = "ssh", host = "node1.example.com", port = 22, user = "root",
      command = { "taphouse", "instance", "console", "instance1.example.com" },
    },
  },
})

test.case("no serial, VNC or SPICE: a message naming the instance", {
  console = { instance = { name = "db2.example.com", hvparams = { serial_console = false } } },
  expect = { console = { kind = "message", message = "No serial shell for instance db2.example.com" } },
})

test.case("the built-in hook returns any default unchanged", {
  console = { default = { kind = "vnc", host = "vnc.example.com", port = 443, display = 0 } },
  expect = { console = { kind = "vnc", host = "vnc.example.com", port = 443, display = 0 } },
})

test.case("a site hook can wrap the built-in one", {
  console = { instance = { tags = { "console:proxy" } } },
  site = { console = [[
local base = require "taphouse.builtin.console"
return { console = function(instance, default)
  local console = base.console(instance, default)
  for _, tag in ipairs(instance.tags) do
    if tag == "console:proxy" then console.host = "proxy.example.com" end
  end
  return console
end }
]] },
  expect = {
    console = {
      kind = "ssh", host = "proxy.example.com", port = 22, user = "root",
      command = { "taphouse", "instance", "console", "instance1.example.com" },
    },
  },
})

test.case("a bad return is refused at the console function's line, naming the field", {
  site = { console = [[
return {
  console = function(instance, default)
    return { kind = "vnc", host = "0.0.0.0", port = "5901", display = 1 }
  end,
}
]] },
  expect = { error = { message = "port: expected an integer, got a string", line = 2 } },
})

test.case("writing to instance is an error at the writing line", {
  site = { console = [[
return { console = function(instance, default)
  instance.name = "other"
  return default
end }
]] },
  expect = { error = { message = "cannot set instance.name: instance is read-only", line = 2 } },
})
