/// The API's OpenAPI 3.1 description, served at `GET /v1/openapi.json`. Tests check every route
/// and every answer against it; schemathesis reads it from the running daemon.
enum OpenAPIDocument {
    static let json = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "taphouse node daemon",
            "version": "1",
            "description": "A KVM node agent whose site policy lives in Lua hooks. JSON over HTTP on a Unix socket (mode 0600), and on TCP with TLS where the node asks, where every request needs Authorization: Bearer <token> (else 401). Errors are application/problem+json (RFC 9457)."
          },
          "security": [{"bearer": []}],
          "paths": {
            "/v1/openapi.json": {
              "get": {"operationId": "getOpenAPI", "summary": "This document.",
                "responses": {"401": {"$ref": "#/components/responses/Problem"}, "200": {"description": "The document.", "content": {"application/json": {"schema": {"type": "object"}}}}}}
            },
            "/v1/node": {
              "get": {"operationId": "getNode", "summary": "The node: version, state directory, hooks, qemu binaries.",
                "responses": {"401": {"$ref": "#/components/responses/Problem"}, "200": {"description": "The node.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}
            },
            "/v1/instances": {
              "get": {"operationId": "listInstances", "summary": "Every instance with state on this node.",
                "responses": {"401": {"$ref": "#/components/responses/Problem"}, "200": {"description": "The instances, by name.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Instance"}}}}}}},
              "post": {"operationId": "startInstance", "summary": "Start an instance from its spec; answers once it runs.",
                "parameters": [
                  {"$ref": "#/components/parameters/Async"},
                  {"name": "paused", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}, "description": "Leave the CPUs stopped."},
                  {"name": "reason", "in": "query", "schema": {"type": "string"}, "description": "The reason trail, logged and carried in the events."}
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InstanceSpec"}}}},
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "201": {"description": "Started.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                  "202": {"$ref": "#/components/responses/Accepted"},
                  "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"},
                  "413": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"},
                  "504": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}": {
              "get": {"operationId": "getInstance", "summary": "One instance: state (with why it stopped), qemu, memory, vCPUs, NICs and their hooks.",
                "parameters": [{"$ref": "#/components/parameters/Name"}],
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "200": {"description": "The instance.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/stop": {
              "post": {"operationId": "stopInstance", "summary": "ACPI powerdown within the timeout, then SIGTERM and SIGKILL; the NICs' down; the files.",
                "parameters": [{"$ref": "#/components/parameters/Name"}, {"$ref": "#/components/parameters/Async"}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/StopRequest"}}}},
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "202": {"$ref": "#/components/responses/Accepted"},
                  "200": {"description": "Stopped and gone.", "content": {"application/json": {"schema": {"type": "object", "properties": {"stopped": {"type": "string"}}, "required": ["stopped"]}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/reboot": {
              "post": {"operationId": "rebootInstance", "summary": "A soft reboot: the guest shut down and started again from its runtime.",
                "parameters": [{"$ref": "#/components/parameters/Name"}, {"$ref": "#/components/parameters/Async"}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/StopRequest"}}}},
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "202": {"$ref": "#/components/responses/Accepted"},
                  "200": {"description": "Running again.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/nics": {
              "post": {"operationId": "addNIC", "summary": "Hot-add a NIC to the running instance: a tap, its up hook, then qemu's netdev and device on the lowest free PCI slot; the runtime keeps it. A failure undoes every step.",
                "parameters": [{"$ref": "#/components/parameters/Name"}, {"$ref": "#/components/parameters/Async"}, {"$ref": "#/components/parameters/Reason"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NIC"}}}},
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "202": {"$ref": "#/components/responses/Accepted"},
                  "201": {"description": "Added: its index, its tap, the NIC as placed (hvinfo).", "content": {"application/json": {"schema": {"type": "object", "required": ["index", "interface", "nic"], "properties": {"index": {"type": "integer", "minimum": 0}, "interface": {"type": "string"}, "nic": {"type": "object"}}}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/nics/{index}": {
              "delete": {"operationId": "removeNIC", "summary": "Hot-remove a NIC: device_del and the guest's DEVICE_DELETED, netdev_del, its down hook, its tap and files; the NICs after it move up one. A guest that does not release it within the timeout keeps it (504), nothing else changed.",
                "parameters": [{"$ref": "#/components/parameters/Name"}, {"$ref": "#/components/parameters/Async"}, {"$ref": "#/components/parameters/Reason"},
                  {"$ref": "#/components/parameters/Index"}, {"$ref": "#/components/parameters/UnplugTimeout"}],
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "202": {"$ref": "#/components/responses/Accepted"},
                  "200": {"description": "Removed.", "content": {"application/json": {"schema": {"type": "object", "required": ["removed"], "properties": {"removed": {"type": "object"}}}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "500": {"$ref": "#/components/responses/Problem"},
                  "502": {"$ref": "#/components/responses/Problem"}, "504": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/disks": {
              "post": {"operationId": "addDisk", "summary": "Hot-add a disk to the running instance: its file opened by the node and passed to qemu (add-fd), blockdev-add, device_add on the lowest free PCI slot (or SCSI id); the runtime keeps it. A failure undoes every step.",
                "parameters": [{"$ref": "#/components/parameters/Name"}, {"$ref": "#/components/parameters/Async"}, {"$ref": "#/components/parameters/Reason"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Disk"}}}},
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "202": {"$ref": "#/components/responses/Accepted"},
                  "201": {"description": "Added: its index and the disk as placed (hvinfo).", "content": {"application/json": {"schema": {"type": "object", "required": ["index", "disk"], "properties": {"index": {"type": "integer", "minimum": 0}, "disk": {"type": "object"}}}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/disks/{index}": {
              "delete": {"operationId": "removeDisk", "summary": "Hot-remove a disk: device_del and the guest's DEVICE_DELETED, blockdev-del; the disks after it move up one. A guest that does not release it within the timeout keeps it (504), nothing else changed.",
                "parameters": [{"$ref": "#/components/parameters/Name"}, {"$ref": "#/components/parameters/Async"}, {"$ref": "#/components/parameters/Reason"},
                  {"$ref": "#/components/parameters/Index"}, {"$ref": "#/components/parameters/UnplugTimeout"}],
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "202": {"$ref": "#/components/responses/Accepted"},
                  "200": {"description": "Removed.", "content": {"application/json": {"schema": {"type": "object", "required": ["removed"], "properties": {"removed": {"type": "object"}}}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "500": {"$ref": "#/components/responses/Problem"},
                  "502": {"$ref": "#/components/responses/Problem"}, "504": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/cleanup": {
              "post": {"operationId": "cleanupInstance", "summary": "Clear what a dead instance left (journals undone, files removed); refuses a live one.",
                "parameters": [{"$ref": "#/components/parameters/Name"}, {"$ref": "#/components/parameters/Async"}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/CleanupRequest"}}}},
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "202": {"$ref": "#/components/responses/Accepted"},
                  "200": {"description": "Cleaned.", "content": {"application/json": {"schema": {"type": "object", "properties": {"cleaned": {"type": "string"}}, "required": ["cleaned"]}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/console": {
              "get": {"operationId": "getConsole", "summary": "How to reach the instance's console (Ganeti's rules, then console.lua).",
                "parameters": [{"$ref": "#/components/parameters/Name"}],
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "200": {"description": "The console.", "content": {"application/json": {"schema": {"type": "object", "properties": {"kind": {"type": "string"}}, "required": ["kind"]}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "500": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/migration-info": {
              "get": {"operationId": "getMigrationInfo", "summary": "On the source: what a migration target needs (the spec and runtime of the running instance).",
                "parameters": [{"$ref": "#/components/parameters/Name"}],
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "200": {"description": "The migration info, for accept.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MigrationInfo"}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/accept": {
              "post": {"operationId": "acceptMigration", "summary": "On the target: qemu listening for the instance (-incoming), its NICs up as their pre phase says (bridged and openvswitch up, ext with MIGRATION_PHASE=pre, routed not yet); answers once qemu listens. A failure undoes all of it.",
                "parameters": [{"$ref": "#/components/parameters/Name"}, {"$ref": "#/components/parameters/Async"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AcceptRequest"}}}},
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "201": {"description": "Listening.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                  "202": {"$ref": "#/components/responses/Accepted"},
                  "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"},
                  "413": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"},
                  "504": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/migrate": {
              "post": {"operationId": "migrateInstance", "summary": "On the source: migrate to a target that accepted, completion learned from qemu's MIGRATION event; then the source's NICs down, qemu gone, files removed. On failure or cancel the source runs on. Progress is published as migration events.",
                "parameters": [{"$ref": "#/components/parameters/Name"}, {"$ref": "#/components/parameters/Async"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MigrateRequest"}}}},
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "200": {"description": "Migrated; the instance is gone from this node.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MigrationOutcome"}}}},
                  "202": {"$ref": "#/components/responses/Accepted"},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"},
                  "504": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/finalize": {
              "post": {"operationId": "finalizeMigration", "summary": "On the target: success runs the NICs' post phase (routed, ext) while the guest waits, lets it run and announces it; failure ends qemu, runs every NIC's down and removes every file.",
                "parameters": [{"$ref": "#/components/parameters/Name"}, {"$ref": "#/components/parameters/Async"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FinalizeRequest"}}}},
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "200": {"description": "Finalized.", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "202": {"$ref": "#/components/responses/Accepted"},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"},
                  "504": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/migrate-cancel": {
              "post": {"operationId": "cancelMigration", "summary": "On the source: cancel the migration under way; the migrate operation then fails with code cancelled and the source runs on.",
                "parameters": [{"$ref": "#/components/parameters/Name"}],
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "202": {"description": "qemu was told to cancel.", "content": {"application/json": {"schema": {"type": "object", "properties": {"cancelling": {"type": "string"}}, "required": ["cancelling"]}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"},
                  "504": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/node/verify": {
              "get": {"operationId": "verifyNode", "summary": "Whether this node can run instances: qemu there and new enough, /dev/net/tun usable, every network hook loading.",
                "parameters": [{"name": "qemu", "in": "query", "schema": {"type": "string"}, "description": "One of the node's qemu binaries (default /usr/bin/qemu-system-x86_64)."}],
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "200": {"description": "Each check; ok is false when one failed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verification"}}}},
                  "400": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/plan": {
              "post": {"operationId": "plan", "summary": "The qemu command line and runtime a start of this spec would have; nothing runs.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InstanceSpec"}}}},
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "200": {"description": "The plan.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Plan"}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
                  "422": {"$ref": "#/components/responses/Problem"}, "500": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/operations": {
              "get": {"operationId": "listOperations", "summary": "The background operations: those running and the newest finished ones.",
                "responses": {"401": {"$ref": "#/components/responses/Problem"}, "200": {"description": "By start time.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Operation"}}}}}}}
            },
            "/v1/operations/{id}": {
              "get": {"operationId": "getOperation", "summary": "One background operation; with wait, once it ended or after that many seconds (at most 300).",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                  {"name": "wait", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 300}}
                ],
                "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
                  "200": {"description": "The operation.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Operation"}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/hooks": {
              "get": {"operationId": "getHooks", "summary": "Each mode's hook, the console policy and the site's modules: the version served, where from, and a newer version refused with why.",
                "responses": {"401": {"$ref": "#/components/responses/Problem"}, "200": {"description": "The hooks.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Hook"}}}}}}}
            },
            "/v1/hooks/check": {
              "post": {"operationId": "checkHooks", "summary": "Every site hook file checked as it is on disk now (nothing is installed).",
                "responses": {"401": {"$ref": "#/components/responses/Problem"}, "200": {"description": "One entry a file; problem when it fails.", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string"}, "problem": {"type": "string"}}}}}}}}}
            },
            "/v1/events": {
              "get": {"operationId": "getEvents", "summary": "Server-Sent Events: instance states (with the reason), migration progress, hook calls (NIC, action, file, version, seconds, error), hook reloads and refusals, warnings. Reconnect with Last-Event-ID for what was missed.",
                "parameters": [{"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}}],
                "responses": {"401": {"$ref": "#/components/responses/Problem"}, "200": {"description": "The stream.", "content": {"text/event-stream": {"schema": {"type": "string"}}}}}}
            },
            "/metrics": {
              "get": {"operationId": "getMetrics", "summary": "Prometheus text format.",
                "responses": {"401": {"$ref": "#/components/responses/Problem"}, "200": {"description": "The metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}
            }
          },
          "components": {
            "securitySchemes": {
              "bearer": {"type": "http", "scheme": "bearer", "description": "On TCP (with TLS) every request needs it, else 401. The Unix socket takes none: its mode, 0600, is its gate."}
            },
            "parameters": {
              "Name": {"name": "name", "in": "path", "required": true, "description": "The instance: a host name (RFC 1123); another is refused with 400.", "schema": {"$ref": "#/components/schemas/HostName"}},
              "Index": {"name": "index", "in": "path", "required": true, "description": "The device's index among the instance's NICs (or disks), 0 the first.", "schema": {"type": "integer", "minimum": 0}},
              "UnplugTimeout": {"name": "timeout", "in": "query", "description": "Seconds to wait for the guest to release the device (default 60).", "schema": {"type": "number", "minimum": 0, "maximum": 86400}},
              "Reason": {"name": "reason", "in": "query", "schema": {"type": "string"}, "description": "Why, for the log and the events (the operation's trail)."},
              "Async": {"name": "async", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}, "description": "Answer at once with 202 and an operation to follow, instead of at the end."}
            },
            "responses": {
                  "401": {"$ref": "#/components/responses/Problem"},
              "Problem": {"description": "A failure.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
              "Accepted": {"description": "Running in the background; Location is the operation.", "headers": {"Location": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Operation"}}}}
            },
            "schemas": {
              "HostName": {"type": "string", "minLength": 1, "maxLength": 253, "pattern": "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?([.][A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"},
              "NIC": {"type": "object", "required": ["mac"],
                "description": "A NIC as an instance spec has it (Ganeti's serialized NIC). A NIC to hot-add may leave out its uuid: one is made.",
                "properties": {"mac": {"type": "string"}, "uuid": {"type": "string"}, "ip": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]}, "network": {"type": ["string", "null"]}, "netinfo": {"type": ["object", "null"]}, "nicparams": {"type": ["object", "null"], "properties": {"mode": {"type": ["string", "null"], "enum": ["bridged", "routed", "openvswitch", "ext", null]}, "link": {"type": ["string", "null"]}, "vlan": {"type": ["string", "null"]}}}}},
              "Disk": {"type": "object", "required": ["uuid", "path"], "description": "A disk as an instance spec has it (Ganeti's serialized Disk, with the path the node reaches it at).",
                "properties": {"uuid": {"type": "string"}, "path": {"type": "string"}, "mode": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]}, "size": {"type": ["integer", "null"]}, "dev_type": {"type": ["string", "null"]}, "uri": {"type": ["string", "null"]}}},
              "InstanceSpec": {"type": "object", "required": ["name", "uuid"],
                "description": "An instance in the shape of Ganeti's serialized Instance (docs: the spec format). Optional members may be null; a member not listed here is refused, but for Ganeti's bookkeeping (os, osparams, admin_state, ctime, ...), which is ignored.",
                "properties": {
                  "name": {"$ref": "#/components/schemas/HostName"},
                  "uuid": {"type": "string", "format": "uuid"},
                  "hypervisor": {"type": ["string", "null"], "enum": ["kvm", null]},
                  "hvparams": {"type": ["object", "null"], "description": "Ganeti's KVM hvparams, by their names."},
                  "beparams": {"type": ["object", "null"], "properties": {"memory": {"type": ["integer", "null"]}, "maxmem": {"type": ["integer", "null"]}, "minmem": {"type": ["integer", "null"]}, "vcpus": {"type": ["integer", "null"]}, "auto_balance": {"type": ["boolean", "null"]}, "always_failover": {"type": ["boolean", "null"]}, "spindle_use": {"type": ["integer", "null"]}}},
                  "nics": {"type": ["array", "null"], "items": {"allOf": [{"$ref": "#/components/schemas/NIC"}, {"required": ["uuid"]}]}},
                  "disks": {"type": ["array", "null"], "items": {"$ref": "#/components/schemas/Disk"}},
                  "tags": {"type": ["array", "null"], "items": {"type": "string"}},
                  "network_port": {"type": ["integer", "null"], "minimum": 1, "maximum": 65535},
                  "primary_node": {"anyOf": [{"$ref": "#/components/schemas/HostName"}, {"type": "null"}]},
                  "disk_template": {"type": ["string", "null"], "enum": ["diskless", "file", "sharedfile", "plain", "blockdev", "drbd", "rbd", "ext", "gluster", null]}}},
              "Node": {"type": "object", "required": ["version", "state_directory", "hooks", "qemu_binaries"],
                "properties": {"version": {"type": "string"}, "state_directory": {"type": "string"},
                  "hooks": {"type": "array", "items": {"type": "string"}}, "qemu_binaries": {"type": "array", "items": {"type": "string"}}}},
              "Instance": {"type": "object", "required": ["name", "state", "nics"],
                "properties": {
                  "name": {"type": "string"},
                  "state": {"type": "string", "enum": ["running", "paused", "stopped", "error"]},
                  "reason": {"type": "string", "description": "Why it stopped, when it ended by itself: guest-shutdown, crashed."},
                  "pid": {"type": "integer"}, "memory_mib": {"type": "integer"}, "vcpus": {"type": "integer"},
                  "problem": {"type": "string"},
                  "nics": {"type": "array", "items": {"type": "object", "required": ["index"],
                    "properties": {"index": {"type": "integer"}, "tap": {"type": "string"}, "mode": {"type": "string"},
                      "link": {"type": "string"}, "mac": {"type": "string"}, "hook": {"type": "string"}, "hook_version": {"type": "string"}}}},
                  "disks": {"type": "array", "items": {"type": "object", "required": ["index", "path", "mode"],
                    "properties": {"index": {"type": "integer"}, "device": {"type": "string"}, "path": {"type": "string"}, "uri": {"type": "string"}, "mode": {"type": "string"}}}}}},
              "Hook": {"type": "object", "required": ["file", "source", "version"],
                "properties": {"file": {"type": "string"}, "source": {"type": "string", "enum": ["site", "builtin"]},
                  "version": {"type": "string"}, "refused_version": {"type": "string"}, "error": {"type": "string"}}},
              "Verification": {"type": "object", "required": ["ok", "checks"],
                "properties": {"ok": {"type": "boolean", "description": "Every check passed."}, "checks": {"type": "array", "items": {"type": "object", "required": ["kind", "subject", "ok", "detail"],
                  "properties": {"kind": {"type": "string", "enum": ["qemu", "tun", "hook"]}, "subject": {"type": "string"}, "ok": {"type": "boolean"}, "detail": {"type": "string"}}}}}},
              "Plan": {"type": "object", "required": ["argv", "qemu_version", "machine", "nics", "disks", "runtime"],
                "properties": {"argv": {"type": "array", "items": {"type": "string"}}, "qemu_version": {"type": "array", "items": {"type": "integer"}},
                  "machine": {"type": "string"}, "nics": {"type": "array", "items": {"type": "object"}}, "disks": {"type": "array", "items": {"type": "object"}},
                  "runtime": {}}},
              "Operation": {"type": "object", "required": ["id", "kind", "status", "created"],
                "properties": {"id": {"type": "string"}, "kind": {"type": "string"}, "instance": {"type": "string"}, "reason": {"type": "string"},
                  "status": {"type": "string", "enum": ["running", "succeeded", "failed"]}, "created": {"type": "number"}, "finished": {"type": "number"},
                  "http_status": {"type": "integer", "description": "The status the answer would have had without async."},
                  "result": {"description": "What the answer would have held."}, "problem": {"$ref": "#/components/schemas/Problem"}}},
              "CleanupRequest": {"type": "object", "description": "Every member may be absent or null.", "properties": {"reason": {"type": ["string", "null"]}}},
              "StopRequest": {"type": "object", "description": "Every member may be absent or null.", "properties": {"timeout": {"type": ["number", "null"], "minimum": 0, "maximum": 86400}, "force": {"type": ["boolean", "null"]}, "reason": {"type": ["string", "null"]}}},
              "MigrationInfo": {"type": "object", "required": ["format", "instance", "state_directory", "spec", "runtime"],
                "properties": {"format": {"type": "string", "enum": ["taphouse-migration-info/1"]}, "instance": {"type": "string"},
                  "state_directory": {"type": "string"}, "spec": {"type": "object"}, "runtime": {"type": "array"}}},
              "AcceptRequest": {"type": "object", "required": ["migration_info", "listen"],
                "properties": {"migration_info": {"$ref": "#/components/schemas/MigrationInfo"}, "listen": {"type": "string", "description": "ADDRESS:PORT qemu listens on."},
                  "postcopy": {"type": ["boolean", "null"]}, "reason": {"type": ["string", "null"]}}},
              "MigrateRequest": {"type": "object", "required": ["target"],
                "properties": {"target": {"type": "string", "description": "ADDRESS:PORT the target accepted on (with target_daemon: where the target is to listen)."},
                  "target_daemon": {"type": ["object", "null"], "description": "The target node's daemon: this daemon then has it accept, and finalize after, success or not.",
                    "properties": {"socket": {"type": ["string", "null"]}, "url": {"type": ["string", "null"], "description": "https://HOST:PORT"}, "token": {"type": ["string", "null"]}, "ca_file": {"type": ["string", "null"]}}},
                  "offline": {"type": ["boolean", "null"]},
                  "bandwidth": {"type": ["integer", "null"], "minimum": 0, "description": "MiB/s; 0 is no cap; default the instance's migration_bandwidth."},
                  "downtime": {"type": ["integer", "null"], "minimum": 0, "description": "Milliseconds; default the instance's migration_downtime."},
                  "postcopy": {"type": ["boolean", "null"]}, "reason": {"type": ["string", "null"]}}},
              "FinalizeRequest": {"type": "object", "required": ["success"],
                "properties": {"success": {"type": "boolean"}, "timeout": {"type": ["number", "null"], "minimum": 0, "maximum": 86400}, "paused": {"type": ["boolean", "null"], "description": "With success, leave the guest paused."}, "reason": {"type": ["string", "null"]}}},
              "MigrationOutcome": {"type": "object", "required": ["instance", "target", "total_time_ms", "downtime_ms", "noticed_after_ms"],
                "properties": {"instance": {"type": "string"}, "target": {"type": "string"}, "total_time_ms": {"type": "integer"}, "downtime_ms": {"type": "integer"},
                  "setup_time_ms": {"type": "integer"}, "transferred": {"type": "integer"}, "noticed_after_ms": {"type": "number"},
                  "stopped_at": {"type": "number"}, "completed_at": {"type": "number"},
                  "arrival": {"type": "object", "description": "The target daemon's finalize, node to node.", "properties": {"instance": {"type": "string"}, "waited_for_post": {"type": "boolean"}, "running": {"type": "boolean"}, "resumed_at": {"type": "number"}, "warnings": {"type": "array", "items": {"type": "string"}}}}}},
              "Problem": {"type": "object", "required": ["type", "title", "status", "detail", "code"],
                "properties": {
                  "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
                  "instance": {"type": "string", "description": "The request path (RFC 9457's own member)."},
                  "code": {"type": "string", "enum": ["not-found", "busy", "invalid-spec", "node", "hook", "qemu", "timeout", "state", "migration", "cancelled", "conflict", "bad-request", "too-large", "unauthorized", "method-not-allowed", "internal"]},
                  "instance_name": {"type": "string"}, "operation": {"type": "string"}, "step": {"type": "string"},
                  "hook_file": {"type": "string"}, "hook_line": {"type": "integer"}, "qemu_error_class": {"type": "string"},
                  "undo_failures": {"type": "array", "items": {"type": "string"}}}}
            }
          }
        }
        """#
}
