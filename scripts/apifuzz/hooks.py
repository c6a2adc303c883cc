"""schemathesis hooks for scripts/apifuzz.sh (loaded through SCHEMATHESIS_HOOKS).

They do two things.

1. Aim the instance operations where they reach the daemon's logic, without changing the node
   on purpose. The document says an instance name is any string; the daemon refuses (400) one
   that is not a host name before it looks anything up. So, by the generated name (a seed
   replays):
   - the read-only operations on an instance (getInstance, getConsole, getMigrationInfo) get the
     name of the one instance apifuzz.sh started (paused) for half of their cases, a valid name
     no instance has (apifuzz-absent-OPERATION.example.org) for a quarter, and keep the
     generated name for the rest;
   - the operations that change an instance (stop, reboot, cleanup, accept, migrate, finalize,
     migrate-cancel, addNIC, removeNIC, addDisk, removeDisk) get the running instance's name
     only when their body is one the document refuses (not JSON, or JSON that fails the
     operation's schema): the daemon must refuse it (4xx) and the node must not change. Those
     calls are made with async=true, so that a request the daemon accepts all the same
     (schemathesis' negative_data_rejection reports it) is answered at once rather than after a
     stop's 120 s wait for a paused guest. A valid body for the running instance *is* a change
     (a stop stops it), not a refusal: such cases get a valid name no instance has for a quarter
     of them, else keep the generated name (one that happens to be the running instance's is
     replaced). migrate-cancel and the removals have no body, so they only ever see absent
     names.
   After every call on the running instance it is checked, and started again (paused) where a
   call stopped it or left it running, so that the rest of the run still has it; each restart
   is printed.

2. Check that the node is unchanged by every refused request: a snapshot of the node (the
   namespace's links, addresses, IPv4 and IPv6 rules and routes of every table, the processes in
   the namespace, the state directory's files with their sizes, mtimes and modes, and the
   instances as GET /v1/instances lists them) is taken before each call and again after each
   answer in 4xx, or after a 202 whose operation then ended in a 4xx; any difference fails the
   `node_unchanged_by_refusal` check, naming the request and the difference. Left out: the
   directories' mtimes, the API socket, address lifetimes, and this process and its children.
   Before the first call and after each restart of the instance, the hooks wait for the node to
   settle (a new tap's IPv6 link-local address and its local route come a moment after it).

The environment (set by apifuzz.sh): APIFUZZ_STATE_DIR, APIFUZZ_INSTANCE, APIFUZZ_SPEC (the
instance's spec file), APIFUZZ_BASE_URL, APIFUZZ_TOKEN_FILE, APIFUZZ_CA_FILE,
APIFUZZ_DAEMON_PID, APIFUZZ_COUNTS (a file the hooks keep their counts in). This process runs
inside the namespace (ip netns exec), so `ip` and /proc/self/ns/net are the namespace's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import zlib
from typing import Any

import jsonschema_rs
import requests
import schemathesis
from schemathesis.core import NOT_SET

STATE_DIR = os.environ["APIFUZZ_STATE_DIR"]
INSTANCE = os.environ["APIFUZZ_INSTANCE"]
SPEC_FILE = os.environ["APIFUZZ_SPEC"]
BASE_URL = os.environ["APIFUZZ_BASE_URL"]
CA_FILE = os.environ["APIFUZZ_CA_FILE"]
DAEMON_PID = int(os.environ["APIFUZZ_DAEMON_PID"])
COUNTS_FILE = os.environ.get("APIFUZZ_COUNTS")
with open(os.environ["APIFUZZ_TOKEN_FILE"]) as f:
    TOKEN = f.read().strip()

READ_ONLY = {
    "/v1/instances/{name}",
    "/v1/instances/{name}/console",
    "/v1/instances/{name}/migration-info",
}
CHANGING = {
    "/v1/instances/{name}/stop",
    "/v1/instances/{name}/reboot",
    "/v1/instances/{name}/cleanup",
    "/v1/instances/{name}/accept",
    "/v1/instances/{name}/migrate",
    "/v1/instances/{name}/finalize",
    "/v1/instances/{name}/migrate-cancel",
    "/v1/instances/{name}/nics",
    "/v1/instances/{name}/nics/{index}",
    "/v1/instances/{name}/disks",
    "/v1/instances/{name}/disks/{index}",
}
STATE_IGNORED = {"api.sock"}

_lock = threading.RLock()
_before: dict[int, tuple[dict[str, Any], str]] = {}  # id(case) -> (snapshot, the request)
_changes: dict[int, str] = {}  # id(case) -> what its refused request changed
_unreported: list[str] = []  # changes no check has reported yet (calls that checks make)
counts = {"calls": 0, "refused": 0, "aimed_at_instance": 0, "restarted_instance": 0}


def _say(text: str) -> None:
    print(f"apifuzz: {text}", file=sys.stderr, flush=True)


# --- the node's snapshot ------------------------------------------------------------------------


def _ip(family: str, commands: str) -> list[str]:
    out = subprocess.run(
        ["ip", family, "-o", "-batch", "-"], input=commands, capture_output=True, text=True, check=True
    ).stdout
    lines = []
    for line in out.splitlines():
        if " valid_lft " in line:  # lifetimes count down; the rest of the line is the state
            line = line[: line.index(" valid_lft ")].rstrip("\\ ")
        lines.append(line)
    return lines


_own_netns = os.stat("/proc/self/ns/net").st_ino


def _processes() -> list[str]:
    """The processes in this network namespace, but this one and its children."""
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            if os.stat(f"/proc/{entry}/ns/net").st_ino != _own_netns:
                continue
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
            continue
        if ppid != me:
            found.append(f"{entry} {cmdline}")
    return sorted(found)


def _files() -> list[str]:
    found = []
    for root, dirs, files in os.walk(STATE_DIR):
        dirs.sort()
        rel_root = os.path.relpath(root, STATE_DIR)
        found += [f"d {os.path.normpath(os.path.join(rel_root, d))}" for d in dirs]
        for name in sorted(files):
            rel = os.path.normpath(os.path.join(rel_root, name))
            if rel in STATE_IGNORED:
                continue
            try:
                st = os.lstat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            found.append(f"f {rel} size={st.st_size} mtime={st.st_mtime_ns} mode={st.st_mode:o}")
    return found


def _instances() -> list[str]:
    """The instances as the daemon lists them (its view of their state comes from qemu's events)."""
    try:
        answer = _api("GET", "/v1/instances")
    except requests.RequestException as error:
        return [f"GET /v1/instances: no answer ({type(error).__name__})"]
    if answer.status_code != 200:
        return [f"GET /v1/instances answered {answer.status_code}"]
    return sorted(json.dumps(instance, sort_keys=True) for instance in answer.json())


LINKS = "links, IPv4 addresses, rules and routes"
IPV6 = "IPv6 addresses, rules and routes"


def snapshot() -> dict[str, list[str]]:
    return {
        LINKS: _ip("-4", "link show\naddr show\nrule show\nroute show table all\n"),
        IPV6: _ip("-6", "addr show\nrule show\nroute show table all\n"),
        "processes": _processes(),
        "state directory": _files(),
        "instances (GET /v1/instances)": _instances(),
    }


def difference(before: dict[str, list[str]], after: dict[str, list[str]]) -> str:
    parts = []
    for key in before:
        gone = [x for x in before[key] if x not in after[key]]
        new = [x for x in after[key] if x not in before[key]]
        if gone or new:
            parts.append(f"  {key}:")
            parts += [f"    - {x}" for x in gone]
            parts += [f"    + {x}" for x in new]
    return "\n".join(parts)


def settle(limit: float = 20.0) -> None:
    """Waits until the node has not changed for a second and no address is tentative."""
    deadline = time.monotonic() + limit
    last = snapshot()
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = snapshot()
        if now != last or any("tentative" in line for line in now[IPV6]):
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= 1.0:
            return
    _say(f"the node did not settle within {limit} s")


def _summary(case: Any) -> str:
    body = "" if case.body is NOT_SET else f" body={json.dumps(case.body, default=repr)[:400]}"
    query = f" query={json.dumps(case.query, default=repr)[:200]}" if case.query else ""
    return f"{case.method.upper()} {case.formatted_path}{query}{body}"


# --- the running instance -----------------------------------------------------------------------


def _api(method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, BASE_URL + path, headers={"Authorization": f"Bearer {TOKEN}"}, verify=CA_FILE, timeout=150, **kwargs
    )


def _kill_qemu() -> None:
    try:
        with open(os.path.join(STATE_DIR, "pid", INSTANCE)) as f:
            os.kill(int(f.read().strip()), signal.SIGKILL)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        pass


def _end_operation(operation: str, on_instance: bool) -> dict[str, Any]:
    """The background operation once it ended. One on the running instance that still runs after
    3 s (a stop or reboot waiting for the paused guest to power off, which it never does) has
    its qemu ended."""
    try:
        answer = _api("GET", f"/v1/operations/{operation}?wait=3")
        if answer.status_code == 200 and answer.json().get("status") == "running" and on_instance:
            _kill_qemu()
            answer = _api("GET", f"/v1/operations/{operation}?wait=60")
    except requests.RequestException:
        return {}
    return answer.json() if answer.status_code == 200 else {}


def _daemon_alive() -> bool:
    try:
        os.kill(DAEMON_PID, 0)
        return True
    except ProcessLookupError:
        return False


def ensure_instance(why: str) -> None:
    """Has the instance running paused, as the run began: started again if a call ended it."""
    try:
        _ensure_instance(why)
    except requests.RequestException:
        if _daemon_alive():
            raise
        # else schemathesis reports the calls that find no daemon


def _ensure_instance(why: str) -> None:
    deadline = time.monotonic() + 120
    said = False
    while time.monotonic() < deadline:
        info = _api("GET", f"/v1/instances/{INSTANCE}")
        state = info.json().get("state") if info.status_code == 200 else None
        if state == "paused" and not info.json().get("problem"):
            if said:
                settle()
            return
        if not said:
            _say(f"{why} left {INSTANCE} {state or 'gone'}: it is started again, paused")
            said = True
        if state is None and info.status_code == 404:
            with open(SPEC_FILE, "rb") as f:
                started = _api("POST", "/v1/instances?paused=true", data=f.read())
            if started.status_code == 201:
                counts["restarted_instance"] += 1
                settle()
                return
        elif state == "stopped":
            _api("POST", f"/v1/instances/{INSTANCE}/cleanup")
        elif state is not None:
            _kill_qemu()
            _api("POST", f"/v1/instances/{INSTANCE}/stop", json={"force": True, "timeout": 0})
        time.sleep(0.2)
    raise RuntimeError(f"apifuzz: could not have {INSTANCE} running paused again")


def remove_others(why: str) -> None:
    """Takes down every instance but the one the run keeps: a request the document allows may
    start one (a spec schemathesis made up that the daemon takes is a real start, and so is an
    accept), and a stop or reboot of it later would wait out its guest (a made-up one has no
    ACPI to answer a powerdown)."""
    try:
        listed = _api("GET", "/v1/instances")
        names = [i["name"] for i in listed.json()] if listed.status_code == 200 else []
    except (requests.RequestException, ValueError, KeyError, TypeError):
        return
    for name in names:
        if name == INSTANCE:
            continue
        _say(f"{why} left {name}: it is taken down")
        counts["removed_others"] = counts.get("removed_others", 0) + 1
        try:
            with open(os.path.join(STATE_DIR, "pid", name)) as f:
                os.kill(int(f.read().strip()), signal.SIGKILL)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            pass
        try:
            _api("POST", f"/v1/instances/{name}/stop", json={"force": True, "timeout": 0})
            _api("POST", f"/v1/instances/{name}/cleanup")
        except requests.RequestException:
            pass
    if len(names) > (1 if INSTANCE in names else 0):
        settle()


# --- aiming -------------------------------------------------------------------------------------

_validators: dict[str, Any] = {}


def _body_validator(case: Any) -> Any:
    key = f"{case.method} {case.path}"
    if key not in _validators:
        raw = case.operation.schema.raw_schema
        # A method the document does not have (schemathesis' unsupported_method sends some) has
        # no body schema: such a call is left alone.
        body = raw["paths"].get(case.path, {}).get(case.method.lower(), {}).get("requestBody")
        if body is None:
            _validators[key] = None
        else:
            schema = dict(body["content"]["application/json"]["schema"])
            schema["components"] = raw.get("components", {})
            _validators[key] = jsonschema_rs.Draft202012Validator(schema)
    return _validators[key]


def _body_refused_by_document(case: Any) -> bool:
    """Whether the body, as it is sent, is one the document says is invalid."""
    validator = _body_validator(case)
    if validator is None or case.body is NOT_SET:
        return False
    try:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    except Exception:  # a media type schemathesis cannot serialize: left alone
        return False
    if "json" in kwargs:
        data = json.dumps(kwargs["json"]).encode()
    else:
        data = kwargs.get("data") or b""
        if isinstance(data, str):
            data = data.encode()
        if not isinstance(data, bytes):
            return False  # multipart and the like: left alone
    if not data.strip():
        return False  # an empty body is no body: for a stop, a stop with the defaults
    try:
        value = json.loads(data)
    except ValueError:
        return True
    return not validator.is_valid(value)


def _absent(case: Any) -> str:
    """A valid name no instance has, one for each operation (each shows its own leftovers)."""
    return f"apifuzz-absent-{case.path.rsplit('/', 1)[-1].strip('{}')}.example.org"


_settled = False


@schemathesis.hook
def before_call(context, case, kwargs):
    global _settled
    if not _settled:
        settle()
        _settled = True
    if "name" in (case.path_parameters or {}):
        name = case.path_parameters["name"]
        choice = zlib.crc32(str(name).encode()) % 4
        if case.path in READ_ONLY:
            if choice < 2:
                case.path_parameters["name"] = INSTANCE
                counts["aimed_at_instance"] += 1
            elif choice == 2:
                case.path_parameters["name"] = _absent(case)
        elif case.path in CHANGING:
            if _body_refused_by_document(case):
                case.path_parameters["name"] = INSTANCE
                case.query = {**(case.query or {}), "async": "true"}
                counts["aimed_at_instance"] += 1
            elif name == INSTANCE or choice == 2:
                case.path_parameters["name"] = _absent(case)
    with _lock:
        counts["calls"] += 1
        _before[id(case)] = (snapshot(), _summary(case))


def _on_instance(case: Any) -> bool:
    return case.path in CHANGING and (case.path_parameters or {}).get("name") == INSTANCE


@schemathesis.hook
def after_call(context, case, response):
    with _lock:
        before = _before.pop(id(case), None)
        if before is None:
            return
        snap, summary = before
        status = response.status_code
        answer = str(status)
        if status == 202:
            # Accepted in the background: refused or not is the operation's outcome.
            try:
                operation = _end_operation(json.loads(response.content)["id"], _on_instance(case))
            except (ValueError, KeyError, TypeError):
                operation = {}
            if "http_status" in operation:
                status = operation["http_status"]
                answer += f" (its operation then {status})"
        if 400 <= status < 500:
            counts["refused"] += 1
            diff = difference(snap, snapshot())
            if diff:
                change = f"{summary} -> {answer} changed the node:\n{diff}"
                _changes[id(case)] = change
                _unreported.append(change)
        if _on_instance(case):
            ensure_instance(f"{summary} -> {answer}")
        if 200 <= status < 300 and case.method in ("POST", "PUT", "PATCH", "DELETE"):
            remove_others(f"{summary} -> {answer}")
        if COUNTS_FILE:
            with open(COUNTS_FILE, "w") as f:
                json.dump(counts, f)


@schemathesis.hook
def after_network_error(context, case, request):
    with _lock:
        _before.pop(id(case), None)
        if _on_instance(case):
            _kill_qemu()
            ensure_instance(f"{_summary(case)} -> no answer")


@schemathesis.check
class node_unchanged_by_refusal:
    """A request the daemon refuses (4xx) leaves the node as it was."""

    def after_response(self, ctx, response, case):
        with _lock:
            change = _changes.pop(id(case), None)
            if change is not None and change in _unreported:
                _unreported.remove(change)
        if change is not None:
            raise AssertionError(change)
        if not _daemon_alive():
            raise AssertionError(f"the daemon (pid {DAEMON_PID}) is gone after {_summary(case)}")

    def after_run(self, ctx):
        with _lock:
            left = list(_unreported)
        if left:
            raise AssertionError("refused requests that changed the node:\n" + "\n".join(left))
