---@meta
-- For hook spec files, which `taphouse hooks test` runs against a fake host: each case is data
-- (the NIC, the host before, what should come out), so a spec reads as a table of examples.

local test = {}

---A link on the fake host; in `expect.host` only the fields given are compared.
---@class taphouse.SpecLink
---@field kind? string as `bridge`, `tun`, `veth`
---@field up? boolean
---@field mtu? integer
---@field mac? string
---@field master? string the bridge the link is a port of
---@field vlan_filtering? boolean
---@field ipv6? boolean false: the link has no net/ipv6 sysctls (before only)

---Open vSwitch on the fake host: its bridges and ports.
---@class taphouse.SpecOvs
---@field bridges? string[]
---@field ports? table<string, {bridge: string, tag: integer?, trunks: integer[]?}|false> by port name; false: no such port

---The fake host before a case runs (`host`; the tap is added as a `tun` link if left out), or
---what to compare after it (`expect.host`: only what is listed).
---@class taphouse.SpecHost
---@field links? table<string, taphouse.SpecLink|false> by link name; false: no such link
---@field vlans? table<string, {vid: integer, pvid: boolean?, untagged: boolean?}[]> bridge VLANs by port name
---@field routes? {dst: string, dev: string, table: integer?, proto: integer?}[]
---@field rules? {family: integer?, dev: string, table: integer, priority: integer?}[]
---@field sysctls? table<string, string> by path, as `net/ipv4/conf/tap0/proxy_arp`
---@field ovs? taphouse.SpecOvs

---What a case expects.
---@class taphouse.SpecExpect
---@field calls? string[] every host call the hook makes, in order
---@field host? taphouse.SpecHost the host after the hook
---@field error? string|{message: string?, line: integer?} the hook fails: a part of the message, and the hook's line
---@field console? taphouse.Console what the console hook returns (console cases; without it, the default)

---The instance of a console case; what is left out defaults.
---@class taphouse.SpecConsoleInstance
---@field name? string `instance1.example.com` when nil
---@field primary_node? string `node1.example.com` when nil
---@field network_port? integer
---@field tags? string[]
---@field hvparams? table hypervisor parameters over the catalog's defaults (checked as in a spec)

---What a console case runs the console hook with.
---@class taphouse.SpecConsole
---@field instance? taphouse.SpecConsoleInstance
---@field default? taphouse.Console the default the hook gets; nil: what taphouse computes for the instance
---@field ssh_user? string the node's ssh user; `root` when nil
---@field ssh_port? integer the node's ssh port; 22 when nil
---@field command? string[] the serial console argv; `taphouse instance console NAME` when nil

---The instance of a lifecycle case; what is left out defaults (`instance1.example.com`, no tags,
---no NICs, no disks).
---@class taphouse.SpecLifecycleInstance
---@field name? string
---@field uuid? string
---@field tags? string[]
---@field memory? integer
---@field vcpus? integer
---@field nics? {mac: string?, mode: string?, link: string?, ip: string?, vlan: string?, interface: string?}[] each with its tap as `interface` (the fake node has it)
---@field disks? {path: string, mode: string?, uri: string?}[]

---What a lifecycle case calls `instance.lua` with.
---@class taphouse.SpecLifecycle
---@field event "pre_start"|"post_start"|"pre_stop"|"post_stop"|"pre_migrate"|"post_migrate"|"nic_added"|"nic_removed"
---@field instance? taphouse.SpecLifecycleInstance
---@field reason? string `post_stop`'s
---@field role? "source"|"target" a migration's
---@field success? boolean `post_migrate`'s
---@field nic? integer `nic_added`'s and `nic_removed`'s

---One case of a hook spec: a network case, a console case (`console`, with only `site`,
---`expect` and `skip` besides), or a lifecycle case (`lifecycle`, with `site`, `host`, `exec`,
---`expect`, `properties` (`undo` only) and `skip` besides).
---@class taphouse.SpecCase
---@field console? taphouse.SpecConsole makes the case a console case
---@field lifecycle? taphouse.SpecLifecycle makes the case a lifecycle case
---@field hook? string the NIC mode whose hook runs; with `nic`, it must agree with `nic.MODE`
---@field nic? table the NIC's fields, Ganeti-named as in `taphouse.Nic` (not ACTION, MIGRATION_PHASE); the rest default
---@field instance? table a whole instance spec, as its JSON has it, instead of `nic`
---@field nic_index? integer which of the instance's NICs; 0 when nil
---@field interface? string the tap's name; `tap0` when nil
---@field others? table[] other NICs of the node (fields over the case's `nic`, each with its own INTERFACE), brought up before the action checked (for `down`, after the case's own up)
---@field site? table<string, string> hook source by mode (`console` in a console case, `instance` in a lifecycle case), for this case only
---@field host? taphouse.SpecHost the fake host before the hook runs
---@field action? "up"|"down" `up` when nil
---@field phase? "pre"|"post" the migration phase
---@field exec? table<string, {status: integer?, stdout: string?, stderr: string?}> answers for `taphouse.exec.run`, by argv joined with spaces
---@field expect? taphouse.SpecExpect
---@field properties? false|{undo: boolean?, twice: boolean?, replaced: boolean?, phases: boolean?} checks every case gets unless turned off (docs/hooks.md, section 6)
---@field skip? string why the case does not run now
---@field without_site_hook? boolean the case is about a node with no hook for the NIC's mode: skipped where the hooks dir has one

---Declares a case of a hook spec.
---@param name string what the case shows, for the report
---@param spec taphouse.SpecCase
function test.case(name, spec) end

---The lists one after the other: expected calls built from parts.
---@param ... string[]
---@return string[]
function test.join(...) end

return test
