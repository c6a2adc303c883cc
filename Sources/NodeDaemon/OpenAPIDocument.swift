/// The API's OpenAPI 3.1 description, served at `GET /v1/openapi.json`. Tests check every route
/// and every answer against it; schemathesis reads it from the running daemon.
enum OpenAPIDocument {
    static let json = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "taphouse node daemon",
            "version": "1",
            "description": "A KVM node agent whose site policy lives in Lua hooks. JSON over HTTP on a Unix socket; errors are application/problem+json (RFC 9457)."
          },
          "paths": {
            "/v1/openapi.json": {
              "get": {"operationId": "getOpenAPI", "summary": "This document.",
                "responses": {"200": {"description": "The document.", "content": {"application/json": {"schema": {"type": "object"}}}}}}
            },
            "/v1/node": {
              "get": {"operationId": "getNode", "summary": "The node: version, state directory, hooks, qemu binaries.",
                "responses": {"200": {"description": "The node.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}
            },
            "/v1/instances": {
              "get": {"operationId": "listInstances", "summary": "Every instance with state on this node.",
                "responses": {"200": {"description": "The instances, by name.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Instance"}}}}}}},
              "post": {"operationId": "startInstance", "summary": "Start an instance from its spec; answers once it runs.",
                "parameters": [
                  {"name": "paused", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}, "description": "Leave the CPUs stopped."},
                  {"name": "reason", "in": "query", "schema": {"type": "string"}, "description": "The reason trail, logged and carried in the events."}
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "description": "The instance spec (docs: the spec format)."}}}},
                "responses": {
                  "201": {"description": "Started.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"},
                  "413": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"},
                  "504": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}": {
              "get": {"operationId": "getInstance", "summary": "One instance: state (with why it stopped), qemu, memory, vCPUs, NICs and their hooks.",
                "parameters": [{"$ref": "#/components/parameters/Name"}],
                "responses": {
                  "200": {"description": "The instance.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/stop": {
              "post": {"operationId": "stopInstance", "summary": "ACPI powerdown within the timeout, then SIGTERM and SIGKILL; the NICs' down; the files.",
                "parameters": [{"$ref": "#/components/parameters/Name"}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/StopRequest"}}}},
                "responses": {
                  "200": {"description": "Stopped and gone.", "content": {"application/json": {"schema": {"type": "object", "properties": {"stopped": {"type": "string"}}, "required": ["stopped"]}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/reboot": {
              "post": {"operationId": "rebootInstance", "summary": "A soft reboot: the guest shut down and started again from its runtime.",
                "parameters": [{"$ref": "#/components/parameters/Name"}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/StopRequest"}}}},
                "responses": {
                  "200": {"description": "Running again.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}, "502": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/cleanup": {
              "post": {"operationId": "cleanupInstance", "summary": "Clear what a dead instance left (journals undone, files removed); refuses a live one.",
                "parameters": [{"$ref": "#/components/parameters/Name"}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/StopRequest"}}}},
                "responses": {
                  "200": {"description": "Cleaned.", "content": {"application/json": {"schema": {"type": "object", "properties": {"cleaned": {"type": "string"}}, "required": ["cleaned"]}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
                  "500": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/instances/{name}/console": {
              "get": {"operationId": "getConsole", "summary": "How to reach the instance's console (Ganeti's rules, then console.lua).",
                "parameters": [{"$ref": "#/components/parameters/Name"}],
                "responses": {
                  "200": {"description": "The console.", "content": {"application/json": {"schema": {"type": "object", "properties": {"kind": {"type": "string"}}, "required": ["kind"]}}}},
                  "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
                  "409": {"$ref": "#/components/responses/Problem"}, "500": {"$ref": "#/components/responses/Problem"}}}
            },
            "/v1/hooks": {
              "get": {"operationId": "getHooks", "summary": "Each mode's hook, the console policy and the site's modules: the version served, where from, and a newer version refused with why.",
                "responses": {"200": {"description": "The hooks.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Hook"}}}}}}}
            },
            "/v1/hooks/check": {
              "post": {"operationId": "checkHooks", "summary": "Every site hook file checked as it is on disk now (nothing is installed).",
                "responses": {"200": {"description": "One entry a file; problem when it fails.", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string"}, "problem": {"type": "string"}}}}}}}}}
            },
            "/v1/events": {
              "get": {"operationId": "getEvents", "summary": "Server-Sent Events: instance states (with the reason), warnings. Reconnect with Last-Event-ID for what was missed.",
                "parameters": [{"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The stream.", "content": {"text/event-stream": {"schema": {"type": "string"}}}}}}
            },
            "/metrics": {
              "get": {"operationId": "getMetrics", "summary": "Prometheus text format.",
                "responses": {"200": {"description": "The metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}
            }
          },
          "components": {
            "parameters": {
              "Name": {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}
            },
            "responses": {
              "Problem": {"description": "A failure.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            },
            "schemas": {
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
                      "link": {"type": "string"}, "mac": {"type": "string"}, "hook": {"type": "string"}, "hook_version": {"type": "string"}}}}}},
              "Hook": {"type": "object", "required": ["file", "source", "version"],
                "properties": {"file": {"type": "string"}, "source": {"type": "string", "enum": ["site", "builtin"]},
                  "version": {"type": "string"}, "refused_version": {"type": "string"}, "error": {"type": "string"}}},
              "StopRequest": {"type": "object", "properties": {"timeout": {"type": "number", "minimum": 0}, "force": {"type": "boolean"}, "reason": {"type": "string"}}},
              "Problem": {"type": "object", "required": ["type", "title", "status", "detail", "code"],
                "properties": {
                  "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
                  "instance": {"type": "string", "description": "The request path (RFC 9457's own member)."},
                  "code": {"type": "string", "enum": ["not-found", "busy", "invalid-spec", "node", "hook", "qemu", "timeout", "state", "bad-request", "too-large", "internal"]},
                  "instance_name": {"type": "string"}, "operation": {"type": "string"}, "step": {"type": "string"},
                  "hook_file": {"type": "string"}, "hook_line": {"type": "integer"}, "qemu_error_class": {"type": "string"},
                  "undo_failures": {"type": "array", "items": {"type": "string"}}}}
            }
          }
        }
        """#
}
