---@meta
-- The shapes hooks receive and the taphouse.* modules return, in one place so every module
-- file and every hook names the same class.

---The NIC a hook runs for: Ganeti's script environment as a table, with typed values. Fields
---Ganeti leaves unset are nil.
---@class taphouse.Nic
---@field INSTANCE string the instance name
---@field MAC string the NIC's MAC address, as `aa:00:00:12:34:56`
---@field MODE "bridged"|"routed"|"openvswitch"|"ext" the NIC mode, which picks the hook file
---@field INTERFACE string the tap device on the host
---@field INTERFACE_INDEX integer the NIC's position in the instance, from 0
---@field INTERFACE_UUID string the NIC's UUID
---@field INTERFACE_NAME? string the NIC's name, when it has one
---@field TAGS string[] the instance tags
---@field IP? string the NIC's IP address (routed mode needs it)
---@field LINK? string the bridge, switch or routing table the NIC attaches to
---@field BRIDGE? string the same as `LINK`, in bridged mode only
---@field VLAN? string Ganeti's VLAN text (`.100:200`); `taphouse.vlan.parse` reads it
---@field ACTION "up"|"down" which of the hook's functions runs
---@field MIGRATION_PHASE? "pre"|"post" set on a migration target only
---Reading a field the `nic` table does not have (a misspelt one) is an error naming it; a field
---it may have but has not (an unset `IP`) is nil.
---@field NETWORK? taphouse.Network the Ganeti network the NIC is in, as Ganeti hands it to the node

---The Ganeti network a NIC is in (the NIC's `netinfo`). Fields Ganeti leaves unset are nil;
---reading a field the table does not have is an error naming it.
---@class taphouse.Network
---@field NAME string the network's name
---@field UUID? string
---@field TAGS string[] the network's tags (what sites dispatch on)
---@field SUBNET? string the IPv4 subnet, `192.0.2.0/24`
---@field GATEWAY? string
---@field SUBNET6? string the IPv6 subnet, `2001:db8::/64`
---@field GATEWAY6? string
---@field MAC_PREFIX? string the network's MAC prefix, `aa:00:00`

---What a hook file returns. `down` is optional because the journal undoes what `up` did anyway;
---a hook needs one only for what the journal cannot see (an `exec`).
---@class taphouse.Hook
---@field up fun(nic: taphouse.Nic) brings the NIC up; an error aborts the start and rolls back
---@field down? fun(nic: taphouse.Nic) takes the NIC down, before the journal undo runs

---A link as `taphouse.net` reads it.
---@class taphouse.Link
---@field name string
---@field up boolean
---@field mtu integer
---@field vlan_filtering boolean whether a bridge filters by VLAN (false for other links)
---@field mac? string lower case; nil for links without one
---@field master? string the bridge the link is a port of
---@field kind? string the link kind (`bridge`, `tun`, `veth`, `vlan`, ...); nil for plain devices

---Changes to one link, made in one request by `taphouse.net.set_link`; fields left out stay.
---@class taphouse.LinkChange
---@field mac? string
---@field mtu? integer
---@field up? boolean
---@field master? string|false a bridge to join, or false to leave the current one

---A VLAN on a bridge port.
---@class taphouse.BridgeVlan
---@field vid integer the VLAN id, 1-4094
---@field pvid boolean whether untagged traffic in goes to this VLAN
---@field untagged boolean whether traffic out leaves untagged

---Options of `taphouse.net.bridge_vlan_add`.
---@class taphouse.BridgeVlanOptions
---@field pvid? boolean
---@field untagged? boolean
---@field shared? boolean on an uplink: the VLAN stays until the last tap that needs it goes

---A routing table: a number, or a string as `ip` reads it (as `nic.LINK` is): a name from the
---node's `rt_tables` files, or a number.
---@alias taphouse.RoutingTable
---| integer
---| "main"
---| "default"
---| "local"
---| string

---A route as `taphouse.net.routes` reads it.
---@class taphouse.Route
---@field dst string the destination with its prefix length (`192.0.2.10/32`)
---@field dev string
---@field table integer
---@field proto integer the route's protocol number

---A route to replace or delete.
---@class taphouse.RouteSpec
---@field dst string an address or prefix; a bare address means `/32` (IPv4) or `/128` (IPv6)
---@field dev string
---@field table? taphouse.RoutingTable the main table when nil
---@field proto? integer 0-255; nil means `static`

---A rule as `taphouse.net.rules` reads it.
---@class taphouse.Rule
---@field family integer 4 or 6
---@field dev string the incoming device the rule matches
---@field table integer
---@field priority? integer

---A rule to add or delete.
---@class taphouse.RuleSpec
---@field family? integer 4 or 6; 4 when nil
---@field dev string
---@field table? taphouse.RoutingTable the main table when nil
---@field priority? integer nil lets the kernel choose on add, and matches any on delete

---Options of `taphouse.file.write`.
---@class taphouse.FileOptions
---@field reload? string[] the command that makes the file's reader take it: run after the write, and after undo
---@field timeout_ms? integer the reload's timeout, 1-300000; 5000 when nil
---@field link? string the link the file is for (named after its tap): undo follows its identity

---An address of a link.
---@class taphouse.Address
---@field address string with its prefix length (`192.0.2.1/24`); a bare address is a host prefix
---@field dev string

---A proxy neighbour entry.
---@class taphouse.ProxyNeighbour
---@field proxy string the address answered for (`192.0.2.5`, `2001:db8::5`), without a length
---@field dev string the link the solicitations arrive on

---An Open vSwitch port.
---@class taphouse.OvsPort
---@field name string
---@field bridge string
---@field tag? integer the access VLAN
---@field trunks integer[] the trunked VLANs

---What `taphouse.ovs.set_port` sets; both are replaced, so a field left out is cleared.
---@class taphouse.OvsPortOptions
---@field tag? integer an access VLAN, 1-4094
---@field trunks? integer[] VLAN ids, 1-4094

---Options of `taphouse.exec.run`.
---@class taphouse.ExecOptions
---@field timeout_ms? integer 1-300000, cut to what is left of the call's ceiling; 5000 when nil
---@field stdin? string what the command reads on its standard input (`nft -f -`)
---@field undo? string[] the argv that undoes this command, which undo runs like any change
---@field undo_stdin? string what the undo command reads on its standard input
---@field link? string the link the command is about: its undo follows that link's identity
---@field detach? boolean let what the command leaves running go on (killed otherwise)

---What `taphouse.exec.run` returns.
---@class taphouse.ExecResult
---@field status integer the exit status
---@field stdout string
---@field stderr string
---@field dry_run? true set when the run was only recorded (`hooks run --dry-run`)
---@field left_running? string[] what the command left running when it exited (`pid N (comm)`)
---@field left_running_killed? boolean whether those were killed (they are, unless `detach`)

---Options of `taphouse.ganeti.native.run`.
---@class taphouse.GanetiOptions
---@field timeout_ms? integer 1-300000; 30000 when nil
---@field detach? boolean the script starts a helper on purpose: let it run

---Ganeti's VLAN text, parsed.
---@class taphouse.Vlan
---@field access? integer the untagged (native) VLAN
---@field trunks integer[] the tagged VLANs

---How a client reaches an instance's console: what `console.lua` gets as `default` and returns.
---Each kind has exactly its fields: ssh `host`, `port`, `user`, `command`; vnc `host`, `port`,
---`display`; spice `host`, `port`, `tls_port` (optional); message `message`. Ports are
---integers in 1-65535.
---@class taphouse.Console
---@field kind "ssh"|"vnc"|"spice"|"message"
---@field host? string where to connect (ssh, vnc, spice); for vnc and spice the bind address as configured
---@field port? integer the ssh, VNC or SPICE port
---@field user? string the ssh user (ssh)
---@field command? string[] the argv to run on `host` with a tty (ssh)
---@field display? integer the VNC display, `port - 5900` natively (vnc)
---@field tls_port? integer the port that speaks TLS (spice, when `spice_use_tls` is on)
---@field message? string why there is no console (message)

---The console hypervisor parameters of an instance, with the catalog's defaults filled in.
---@class taphouse.ConsoleHvparams
---@field serial_console boolean
---@field serial_speed integer
---@field vnc_bind_address string empty: no VNC
---@field vnc_tls boolean
---@field vnc_x509_path string
---@field vnc_x509_verify boolean
---@field vnc_password_file string
---@field spice_bind string empty: no SPICE
---@field spice_ip_version integer 0, 4 or 6
---@field spice_use_tls boolean
---@field spice_password_file string

---The instance a console policy runs for, read-only: a write raises an error.
---@class taphouse.ConsoleInstance
---@field name string
---@field primary_node string the node the instance runs on
---@field network_port? integer the VNC or SPICE port
---@field tags string[]
---@field hvparams taphouse.ConsoleHvparams

---What `console.lua` returns.
---@class taphouse.ConsoleHook
---@field console fun(instance: taphouse.ConsoleInstance, default: taphouse.Console): taphouse.Console

---A NIC as the lifecycle hook sees it.
---@class taphouse.InstanceNic
---@field index integer the NIC's position in the instance, from 0
---@field mac string
---@field mode "bridged"|"routed"|"openvswitch"|"ext"
---@field link? string
---@field ip? string
---@field vlan? string
---@field interface? string its tap, once it has one (not yet in `pre_start`)

---A disk as the lifecycle hook sees it.
---@class taphouse.InstanceDisk
---@field index integer
---@field path string
---@field mode "rw"|"ro"
---@field uri? string

---The instance a lifecycle hook runs for, read-only: a write raises an error.
---@class taphouse.Instance
---@field name string
---@field uuid string
---@field tags string[]
---@field memory? integer MiB
---@field vcpus? integer
---@field nics taphouse.InstanceNic[]
---@field disks taphouse.InstanceDisk[]
---@field event "pre_start"|"post_start"|"pre_stop"|"post_stop"|"pre_migrate"|"post_migrate"|"nic_added"|"nic_removed"
---@field reason? "stopped"|"guest-shutdown"|"crashed"|"cleaned-up" why it stopped (`post_stop`)
---@field role? "source"|"target" which side of a migration this node is (`pre_migrate`, `post_migrate`)
---@field success? boolean whether the migration succeeded (`post_migrate`)
---@field nic? integer the NIC added or removed (`nic_added`, `nic_removed`)

---What `instance.lua` returns: any of the events, each a function of the instance. A `pre_*`
---that raises an error stops its operation with that error; any other that fails is reported,
---and the operation stands.
---@class taphouse.InstanceHook
---@field pre_start? fun(instance: taphouse.Instance)
---@field post_start? fun(instance: taphouse.Instance)
---@field pre_stop? fun(instance: taphouse.Instance)
---@field post_stop? fun(instance: taphouse.Instance)
---@field pre_migrate? fun(instance: taphouse.Instance)
---@field post_migrate? fun(instance: taphouse.Instance)
---@field nic_added? fun(instance: taphouse.Instance)
---@field nic_removed? fun(instance: taphouse.Instance)
