#!/usr/bin/env python3
"""The chaos soak of taphouse's node daemon (issue 15, point 3); run through scripts/soak.sh.

A bounded, seeded sequence of operations (start, stop, reboot, cleanup, kill -9 of a qemu,
kill -9 of the daemon and a restart, hook edits, bad requests) on up to --max-instances
instances of the test guest, against `taphouse serve` in a throwaway network namespace. After
every operation the node is checked:

- `agrees`: the daemon agrees with what the operations did (a started instance is listed live,
  a stopped one is gone, a killed one is listed stopped, crashed; a restarted daemon adopted
  every live qemu, the same pid); `answer`: each operation got the answer it should;
- `live-qemu`, `live-taps`, `live-routes`, `live-files`: every live instance has its qemu
  (alive, qemu, named for it, holding the NICs' taps), its taps (in the bridge when bridged),
  its routed rules, routes and proxy_arp, its files and the hook versions its NICs came up with;
- `stray-tap`, `stray-rule`, `stray-route`, `stray-process`, `stray-file`: nothing else, no
  tap, rule, route, process, journal or instance file that no instance owns;
- `unchanged`: a refused request was answered 4xx with a problem document and changed nothing;
- `hooks`: an edited site hook serves, a broken one is refused and the old one serves on;
- `fd-growth`, `rss-growth`: the daemon's open descriptors and memory do not grow (see
  ResourceWatch); `daemon`: it stays up and answers.

The first violation ends the run (after cleaning up) with `violation: INVARIANT after op N
(OP)` and the details; the last line is always `N operations, N violations`.

The same seed gives the same sequence: every operation draws the same number of random values
whatever the node's state, so outcomes (which instance happens to be live) change what an
operation is aimed at, never the draws that follow.

--skip leaves out an operation kind, a bad request or a hook edit (by its description as the
output prints it): to see past a known bug while it is being fixed, or, with `--skip
kill-daemon`, to keep one daemon process for the whole of a long run, so that the descriptor
and memory checks watch it over every operation (each restart makes a new process to watch).
A skip changes the sequence.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from typing import Any

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))

# At most this many guests have running CPUs at once: guests run under TCG on two CPUs (one
# of them often busy with something else in CI), and a booting kernel takes a CPU for seconds.
MAX_RUNNING = 3
# The routed NICs' tables: two, so that a rule or route left in the wrong one shows.
ROUTED_TABLES = (100, 101)


class Violation(Exception):
    """An invariant that does not hold; the run ends with it."""

    def __init__(self, invariant: str, details: str):
        super().__init__(f"{invariant}: {details}")
        self.invariant = invariant
        self.details = details


# MARK: talking to the daemon


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over the daemon's unix socket."""

    def __init__(self, path: str, timeout: float):
        super().__init__("taphouse", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


@dataclasses.dataclass
class Answer:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def brief(self) -> str:
        document = self.json()
        if isinstance(document, dict) and "detail" in document:
            return f"{document.get('code', '?')}: {document['detail']}"
        return self.body[:300].decode(errors="replace")


class Api:
    """One connection per request: a daemon killed between two requests leaves nothing stale
    here, and the daemon's accept/close path is soaked too."""

    def __init__(self, socket_path: str):
        self.socket_path = socket_path

    def request(self, method: str, path: str, body: bytes | str | Any = None, timeout: float = 60) -> Answer:
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        connection = UnixHTTPConnection(self.socket_path, timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            try:
                connection.request(method, path, body=body, headers=headers)
            except (BrokenPipeError, ConnectionResetError):
                # A server may answer a body it refuses (413) before reading all of it and
                # close: its answer is there to read all the same.
                pass
            response = connection.getresponse()
            return Answer(response.status, response.getheader("Content-Type", ""), response.read())
        finally:
            connection.close()

    def instances(self) -> dict[str, dict]:
        answer = self.request("GET", "/v1/instances", timeout=20)
        if answer.status != 200 or not isinstance(answer.json(), list):
            raise Violation("daemon", f"GET /v1/instances answered {answer.status}: {answer.brief()}")
        return {item["name"]: item for item in answer.json()}

    def hooks(self) -> dict[str, dict]:
        answer = self.request("GET", "/v1/hooks", timeout=20)
        if answer.status != 200 or not isinstance(answer.json(), list):
            raise Violation("daemon", f"GET /v1/hooks answered {answer.status}: {answer.brief()}")
        return {item["file"]: item for item in answer.json()}


# MARK: the namespace


def run(argv: list[str], check: bool = True) -> str:
    result = subprocess.run(argv, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")
    return result.stdout


class Namespace:
    """The throwaway network namespace: a bridge, and what `ip` says is in it."""

    def __init__(self, name: str):
        self.name = name

    def create(self) -> None:
        run(["ip", "netns", "add", self.name])
        run(["ip", "-n", self.name, "link", "set", "lo", "up"])
        run(["ip", "-n", self.name, "link", "add", "br0", "type", "bridge"])
        run(["ip", "-n", self.name, "link", "set", "br0", "up"])

    def destroy(self) -> None:
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        run(["ip", "netns", "del", self.name], check=False)

    def _json(self, *args: str) -> list[dict]:
        out = run(["ip", "-n", self.name, "-j", *args])
        return json.loads(out) if out.strip() else []

    def taps(self) -> dict[str, str | None]:
        """Every tap, with its master."""
        taps = {}
        for link in self._json("-d", "link", "show"):
            if link.get("linkinfo", {}).get("info_kind") == "tun":
                taps[link["ifname"]] = link.get("master")
        return taps

    def rules(self) -> list[dict]:
        return self._json("-4", "rule", "show") + self._json("-6", "rule", "show")

    def routes(self) -> list[dict]:
        """Every route of every table (the kernel's own local, broadcast and multicast left out)."""
        routes = []
        for family in ("-4", "-6"):
            for route in self._json(family, "route", "show", "table", "all"):
                if route.get("type", "unicast") in ("local", "broadcast", "multicast", "anycast"):
                    continue
                if route.get("protocol") == "kernel" and str(route.get("dst", "")).startswith("fe80::"):
                    continue
                routes.append(route)
        return routes

    def proxy_arp(self, taps: list[str]) -> dict[str, str]:
        """proxy_arp of each tap: /proc/sys/net is the reader's namespace's, hence the exec."""
        if not taps:
            return {}
        files = [f"/proc/sys/net/ipv4/conf/{tap}/proxy_arp" for tap in taps]
        out = run(["ip", "netns", "exec", self.name, "grep", "-H", ".", *files], check=False)
        values = {}
        for line in out.splitlines():
            path, _, value = line.partition(":")
            values[path.split("/")[-2]] = value.strip()
        return values

    def pids(self) -> list[int]:
        out = run(["ip", "netns", "pids", self.name], check=False)
        return [int(pid) for pid in out.split()]


@dataclasses.dataclass
class Process:
    pid: int
    ppid: int
    state: str
    argv: list[str]

    @staticmethod
    def read(pid: int) -> Process | None:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = [arg.decode(errors="replace") for arg in f.read().split(b"\0") if arg]
        except (FileNotFoundError, ProcessLookupError):
            return None
        # The command name (in parentheses) may hold spaces: the fields after it are fixed.
        fields = stat[stat.rindex(")") + 2 :].split()
        return Process(pid, int(fields[1]), fields[0], argv)

    @property
    def alive(self) -> bool:
        return self.state not in ("Z", "X")

    @property
    def is_qemu(self) -> bool:
        return bool(self.argv) and os.path.basename(self.argv[0]).startswith(("qemu-system", "kvm", "qemu-kvm"))

    def taps(self) -> set[str]:
        """The taps its /dev/net/tun descriptors are attached to (fdinfo's `iff`)."""
        taps = set()
        try:
            for fd in os.listdir(f"/proc/{self.pid}/fd"):
                try:
                    if os.readlink(f"/proc/{self.pid}/fd/{fd}") != "/dev/net/tun":
                        continue
                    with open(f"/proc/{self.pid}/fdinfo/{fd}") as f:
                        for line in f:
                            if line.startswith("iff:"):
                                taps.add(line.split()[1])
                except OSError:
                    continue
        except OSError:
            pass
        return taps

    def option(self, name: str) -> str | None:
        if name in self.argv[:-1]:
            return self.argv[self.argv.index(name) + 1]
        return None


# MARK: the daemon


class Daemon:
    """`taphouse serve` in the namespace: started, killed with SIGKILL, measured."""

    def __init__(self, binary: str, namespace: Namespace, state: str, site: str, log: str):
        self.binary = binary
        self.namespace = namespace
        self.state = state
        self.site = site
        self.log = log
        self.api = Api(os.path.join(state, "api.sock"))
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, bound: float = 30) -> float:
        """Starts it and waits until it answers; the seconds that took."""
        began = time.monotonic()
        with open(self.log, "ab") as log:
            # `ip netns exec` execs the command itself: the child's pid is the daemon's.
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", self.namespace.name, self.binary, "serve",
                 "--state-dir", self.state, "--hooks-dir", self.site],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        while time.monotonic() - began < bound:
            if self.process.poll() is not None:
                raise Violation("daemon", f"the daemon exited with status {self.process.returncode} at start\n"
                                + self.log_tail())
            try:
                if self.api.request("GET", "/v1/node", timeout=2).status == 200:
                    return time.monotonic() - began
            except OSError:
                pass
            time.sleep(0.05)
        raise Violation("daemon", f"the daemon did not answer within {bound:.0f} s\n" + self.log_tail())

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            code = self.process.returncode if self.process else None
            raise Violation("daemon", f"the daemon died (status {code})\n" + self.log_tail())

    def rss_kib(self) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def log_tail(self, lines: int = 25) -> str:
        try:
            with open(self.log, errors="replace") as f:
                tail = f.readlines()[-lines:]
        except OSError:
            return ""
        return "daemon log, last lines:\n" + "".join("  " + line for line in tail)


def prepared_binary(binary: str, work: str) -> str:
    """The binary, where the daemon finds its built-in hooks and Lua library.

    taphouse looks for them from its executable (a package's <prefix>/lib/taphouse/hooks and
    <prefix>/share/taphouse/lua, or the source tree for .build/<triple>/<config>/taphouse). A
    binary from elsewhere (TAPHOUSE_BIN) gets a private prefix in the work folder: a hard link
    (a copy across file systems), with lib/taphouse/hooks and share/taphouse/lua pointing at this
    tree's hooks/ and lua/."""
    binary = os.path.realpath(binary)
    folder = os.path.dirname(binary)
    for hooks in (os.path.join(folder, "..", "lib", "taphouse", "hooks"),
                  os.path.join(folder, "..", "..", "..", "hooks")):
        if os.path.isdir(os.path.join(hooks, "network")):
            return binary
    prefix = os.path.join(work, "prefix")
    for sub in ("bin", "lib/taphouse", "share/taphouse"):
        os.makedirs(os.path.join(prefix, sub))
    linked = os.path.join(prefix, "bin", "taphouse")
    try:
        os.link(binary, linked)
    except OSError:
        shutil.copy2(binary, linked)
    os.symlink(os.path.join(REPO, "hooks"), os.path.join(prefix, "lib", "taphouse", "hooks"))
    os.symlink(os.path.join(REPO, "lua"), os.path.join(prefix, "share", "taphouse", "lua"))
    return linked


# MARK: the instances


@dataclasses.dataclass
class Nic:
    mode: str  # bridged or routed
    table: int | None = None


class Fleet:
    """The instances the soak may start: fixed names, MACs, NIC layouts and addresses."""

    def __init__(self, count: int, kernel: str, initrd: str, tcg: bool):
        self.names = [f"soak{i}.example.org" for i in range(count)]
        # The spec wants normalised absolute paths.
        self.kernel = os.path.realpath(kernel)
        self.initrd = os.path.realpath(initrd)
        self.tcg = tcg

    @staticmethod
    def layout(index: int) -> list[Nic]:
        """One or two NICs: bridged alone, bridged and routed, routed alone, two bridged."""
        table = ROUTED_TABLES[index % 2]
        return [
            [Nic("bridged")],
            [Nic("bridged"), Nic("routed", table)],
            [Nic("routed", table)],
            [Nic("bridged"), Nic("bridged")],
        ][index % 4]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def nics(self, name: str) -> list[Nic]:
        return self.layout(self.index(name))

    def routed_ip(self, name: str, nic: int) -> str:
        return f"10.98.{nic}.{self.index(name) + 1}"

    def spec(self, name: str, **changes: Any) -> dict:
        i = self.index(name)
        hvparams = {
            "kvm_path": "/usr/bin/qemu-system-x86_64", "kernel_path": self.kernel, "initrd_path": self.initrd,
            "kernel_args": f"console=ttyS0 guest.ip=10.99.0.{10 + i}/24",
        }
        if self.tcg:
            hvparams["kvm_flag"] = "disabled"
        nics = []
        for n, nic in enumerate(self.nics(name)):
            entry: dict[str, Any] = {
                "mac": f"52:54:00:5a:{i:02x}:{n:02x}",
                # Device ids come from the first three groups: they differ per instance and NIC.
                "uuid": f"{i:08x}-{n:04x}-4000-8000-5a0000000000",
                "nicparams": {"mode": nic.mode, "link": "br0" if nic.mode == "bridged" else str(nic.table)},
            }
            if nic.mode == "routed":
                entry["ip"] = self.routed_ip(name, n)
            nics.append(entry)
        spec = {
            "name": name, "uuid": f"5a5a5a5a-0000-4000-8000-{i:012x}", "tags": ["soak"],
            "hvparams": hvparams, "beparams": {"maxmem": 128, "vcpus": 1}, "disks": [], "nics": nics,
        }
        spec.update(changes)
        return spec


@dataclasses.dataclass
class Expected:
    """What the operations so far say an instance is: absent, live or stopped; and for a live
    one its qemu's pid when known (a restarted daemon must adopt that very qemu)."""

    state: str = "absent"
    pid: int | None = None


LIVE = ("running", "paused")


# MARK: the site hooks


class SiteHooks:
    """Edits of the site hooks folder and what the daemon must then serve.

    A bounded set of variants (so hook-versions/ stays bounded too): wrappers and copies of
    the built-in hooks with a comment of their own, a syntax error and a hook without `up`
    (both must be refused while the previous version keeps serving), and removal (the
    built-in serves again). Files are written beside the folder and renamed in, so that the
    daemon's inotify never sees half a file."""

    def __init__(self, site: str, scratch: str):
        self.site = site
        self.scratch = scratch
        self.builtin = {mode: self._read(os.path.join(REPO, "hooks", "network", f"{mode}.lua"))
                        for mode in ("bridged", "routed")}
        # What each mode's hook should be served as (its version), as the edits so far say.
        self.served = {mode: self.version(text) for mode, text in self.builtin.items()}
        self.known_versions = set(self.served.values())
        self.edits = 0
        # The modes whose site file is one the daemon must refuse.
        self.broken: set[str] = set()
        # The folder is there before the daemon starts: one made while it runs is its own
        # variant ("network folder replaced"), not a race of every first edit.
        os.makedirs(os.path.join(site, "network"), exist_ok=True)

    @staticmethod
    def _read(path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    @staticmethod
    def version(text: bytes) -> str:
        return hashlib.sha256(text).hexdigest()

    def variants(self) -> list[tuple[str, dict[str, bytes | None], bool]]:
        return self.variants_of(self.builtin)

    @staticmethod
    def variants_of(builtin: dict[str, bytes]) -> list[tuple[str, dict[str, bytes | None], bool]]:
        """(description, the new text of each mode's file changed (None: removed), whether the
        daemon must accept it). The last replaces the whole network/ folder by another one
        moved in, as a deployment tool that stages a folder does."""
        wrapper = '-- soak: a site wrapper\nlocal base = require "taphouse.builtin.network.{mode}"\nreturn base\n'
        return [
            ("bridged: wrapper of the built-in", {"bridged": wrapper.format(mode="bridged").encode()}, True),
            ("bridged: copy of the built-in", {"bridged": b"-- soak: a site copy\n" + builtin["bridged"]}, True),
            ("routed: copy of the built-in", {"routed": b"-- soak: a site copy\n" + builtin["routed"]}, True),
            ("routed: wrapper of the built-in", {"routed": wrapper.format(mode="routed").encode()}, True),
            ("bridged: a syntax error", {"bridged": b"-- soak: broken\nreturn { up = \n"}, False),
            ("routed: no up function", {"routed": b"-- soak: broken\nreturn { down = function(nic) end }\n"}, False),
            ("bridged: removed", {"bridged": None}, True),
            ("routed: removed", {"routed": None}, True),
            ("network folder replaced", {"bridged": b"-- soak: a new folder\n" + builtin["bridged"],
                                         "routed": None}, True),
        ]

    def apply(self, description: str, changes: dict[str, bytes | None]) -> None:
        network = os.path.join(self.site, "network")
        if description == "network folder replaced":
            self.edits += 1
            staged = os.path.join(self.scratch, f"network.{self.edits}")
            os.makedirs(staged)
            for mode, text in changes.items():
                if text is not None:
                    with open(os.path.join(staged, f"{mode}.lua"), "wb") as f:
                        f.write(text)
            # The old folder is kept (the work folder goes at the end): deleting its files
            # would make events that a daemon still watching it may take for the new folder's.
            os.rename(network, os.path.join(self.scratch, f"network.{self.edits}.old"))
            os.rename(staged, network)
            return
        for mode, text in changes.items():
            path = os.path.join(network, f"{mode}.lua")
            if text is None:
                if os.path.exists(path):
                    os.unlink(path)
                continue
            staged = os.path.join(self.scratch, f"{mode}.lua.new")
            with open(staged, "wb") as f:
                f.write(text)
            os.rename(staged, path)

    def expectation(self, changes: dict[str, bytes | None], accepted: bool) -> dict[str, dict[str, Any]]:
        """What GET /v1/hooks must come to show for each file changed; the model updated."""
        want = {}
        for mode, text in changes.items():
            if accepted:
                self.broken.discard(mode)
            else:
                self.broken.add(mode)
            if text is None:
                self.served[mode] = self.version(self.builtin[mode])
                want[mode] = {"source": "builtin", "version": self.served[mode]}
            elif accepted:
                self.served[mode] = self.version(text)
                self.known_versions.add(self.served[mode])
                want[mode] = {"source": "site", "version": self.served[mode]}
            else:
                want[mode] = {"version": self.served[mode], "refused_version": self.version(text)}
        return want

    def resync(self, hooks: dict[str, dict]) -> None:
        """A restarted daemon loads the site folder afresh: what it serves is the model now,
        but never a version it refuses (the site's broken file on disk)."""
        for mode in self.served:
            entry = hooks.get(f"network/{mode}.lua")
            if not entry:
                continue
            if entry.get("refused_version") == entry["version"]:
                raise Violation("hooks", f"the restarted daemon serves network/{mode}.lua version "
                                         f"{entry['version'][:12]}, the broken one on disk that it refuses: {entry}")
            self.served[mode] = entry["version"]


def bad_requests(fleet: Fleet) -> list[tuple]:
    """The bad requests: (description, method, path, body, status, whether the path names a
    live instance). Each must be answered with that status and a problem document, and
    change nothing."""
    first = fleet.names[0]
    spec = fleet.spec
    bad_name = "soak-bad.example.org"

    def invalid(**changes: Any) -> dict:
        base = spec(first)
        base["name"] = bad_name
        base.update(changes)
        return base

    def nic_change(**changes: Any) -> dict:
        base = invalid()
        base["nics"] = [dict(base["nics"][0], **changes)]
        return base

    requests = [
        ("malformed JSON", "POST", "/v1/instances", '{"name": "soak0.example.org", "nics": [', 400, False),
        ("a JSON array as spec", "POST", "/v1/instances", "[1, 2]", 400, False),
        ("a spec with a bad MAC", "POST", "/v1/instances", nic_change(mac="52:54:zz:00:00:01"), 400, False),
        ("a spec with negative memory", "POST", "/v1/instances", invalid(beparams={"maxmem": -5, "vcpus": 1}), 400, False),
        ("a spec with an unknown NIC mode", "POST", "/v1/instances",
         nic_change(nicparams={"mode": "teleport", "link": "br0"}), 400, False),
        ("a spec whose kvm_path is no qemu", "POST", "/v1/instances",
         invalid(hvparams=dict(spec(first)["hvparams"], kvm_path="/bin/sh")), 422, False),
        ("a spec with an invalid name", "POST", "/v1/instances", invalid(name="../etc"), 400, False),
        ("a body over 1 MiB", "POST", "/v1/instances", b" " * (1024 * 1024 + 4096), 413, False),
        ("stop of an unknown instance", "POST", "/v1/instances/soak-nosuch.example.org/stop", {"timeout": 1}, 404, False),
        ("reboot of an unknown instance", "POST", "/v1/instances/soak-nosuch.example.org/reboot", {"timeout": 1}, 404, False),
        ("cleanup of an unknown instance", "POST", "/v1/instances/soak-nosuch.example.org/cleanup", {}, 404, False),
        ("info of an unknown instance", "GET", "/v1/instances/soak-nosuch.example.org", None, 404, False),
        ("an invalid name in the path", "GET", "/v1/instances/..%2F..%2Fetc", None, 400, False),
        ("an unknown route", "GET", "/v1/nothing-here", None, 404, False),
        ("a stop with a string timeout", "POST", "/v1/instances/{live}/stop", {"timeout": "soon"}, 400, True),
        ("a stop with a negative timeout", "POST", "/v1/instances/{live}/stop", {"timeout": -1}, 400, True),
        ("a stop with a body that is not JSON", "POST", "/v1/instances/{live}/stop", "timeout=1", 400, True),
        ("cleanup of a live instance", "POST", "/v1/instances/{live}/cleanup", {}, 409, True),
    ]
    return requests



# MARK: the invariants


@dataclasses.dataclass
class NodeView:
    """One look at the node: the daemon's list and what the kernel, /proc and the state
    directory hold."""

    instances: dict[str, dict]
    taps: dict[str, str | None]
    rules: list[dict]
    routes: list[dict]
    processes: list[Process]
    files: set[str]

    def fingerprint(self) -> dict[str, Any]:
        """What a refused request must not change (lock/ too: a lock file lives only while an
        operation holds it)."""
        return {
            "instances": sorted((n, i["state"], i.get("pid")) for n, i in self.instances.items()),
            "taps": sorted(self.taps.items(), key=str),
            "rules": sorted(json.dumps(r, sort_keys=True) for r in self.rules),
            "routes": sorted(json.dumps(r, sort_keys=True) for r in self.routes),
            "processes": sorted(p.pid for p in self.processes if p.alive and p.is_qemu),
            "files": sorted(self.files),
        }


def look(daemon: Daemon, namespace: Namespace) -> NodeView:
    files = set()
    for root, _, names in os.walk(daemon.state):
        for name in names:
            files.add(os.path.relpath(os.path.join(root, name), daemon.state))
    processes = [p for p in (Process.read(pid) for pid in namespace.pids()) if p is not None]
    return NodeView(daemon.api.instances(), namespace.taps(), namespace.rules(), namespace.routes(),
                    processes, files)


class Invariants:
    """The checks after every operation. Each raises a Violation naming the invariant."""

    def __init__(self, daemon: Daemon, namespace: Namespace, fleet: Fleet, hooks: SiteHooks):
        self.daemon = daemon
        self.namespace = namespace
        self.fleet = fleet
        self.hooks = hooks

    def check(self, view: NodeView, expected: dict[str, Expected]) -> None:
        self.daemon.check_alive()
        self.agrees(view, expected)
        owned = self.live(view)
        self.nothing_else(view, owned)

    def agrees(self, view: NodeView, expected: dict[str, Expected]) -> None:
        problems = []
        for name, item in view.instances.items():
            if name not in expected:
                problems.append(f"{name} is listed ({item['state']}) but the soak never started it")
        for name, want in expected.items():
            item = view.instances.get(name)
            state = item["state"] if item else "absent"
            if want.state == "live" and state not in LIVE:
                problems.append(f"{name} should be live, is {state} ({item.get('reason', '') if item else ''})")
            elif want.state == "live" and want.pid is not None and item.get("pid") != want.pid:
                problems.append(f"{name} should run qemu {want.pid}, is listed with pid {item.get('pid')}")
            elif want.state in ("absent", "stopped") and state != want.state:
                problems.append(f"{name} should be {want.state}, is {state}")
            if state == "error":
                problems.append(f"{name} is in state error: {item.get('problem')}")
        if problems:
            raise Violation("agrees", "the daemon's list disagrees with the operations:\n  " + "\n  ".join(problems))

    def live(self, view: NodeView) -> dict[str, Any]:
        """Checks every live instance has what it needs; returns what they own."""
        owned: dict[str, Any] = {"taps": {}, "pids": set(), "names": set()}
        problems = []
        routed_taps = []
        for name, item in view.instances.items():
            if item["state"] not in LIVE:
                continue
            owned["names"].add(name)
            pid = item.get("pid")
            process = next((p for p in view.processes if p.pid == pid), None)
            if process is None:
                process = Process.read(pid) if pid else None
            if process is None or not process.alive:
                problems.append(("live-qemu", f"{name}: qemu {pid} is not alive"))
            elif not process.is_qemu or (process.option("-name") or "").split(",")[0] != name:
                problems.append(("live-qemu", f"{name}: pid {pid} is not its qemu: {' '.join(process.argv[:4])}"))
            else:
                owned["pids"].add(pid)
            held = process.taps() if process is not None and process.alive else set()
            try:
                with open(os.path.join(self.daemon.state, "pid", name)) as f:
                    if f.read().strip() != str(pid):
                        problems.append(("live-files", f"{name}: pid/{name} does not hold {pid}"))
            except OSError:
                problems.append(("live-files", f"{name}: no pid/{name}"))
            for relative in (f"conf/{name}.runtime", f"conf/{name}.spec"):
                if relative not in view.files:
                    problems.append(("live-files", f"{name}: no {relative}"))
            layout = self.fleet.nics(name) if name in self.fleet.names else []
            if len(item.get("nics", [])) != len(layout):
                problems.append(("live-taps", f"{name}: listed with {len(item.get('nics', []))} NICs, has {len(layout)}"))
            for nic in item.get("nics", []):
                index, tap = nic["index"], nic.get("tap")
                if not tap or tap not in view.taps:
                    problems.append(("live-taps", f"{name}: NIC {index}'s tap {tap} does not exist"))
                    continue
                if tap in owned["taps"]:
                    problems.append(("live-taps", f"{name}: NIC {index}'s tap {tap} is also {owned['taps'][tap]}'s"))
                owned["taps"][tap] = (name, index)
                if tap not in held:
                    problems.append(("live-taps", f"{name}: its qemu {pid} does not hold NIC {index}'s tap {tap} "
                                                  f"(it holds {sorted(held) or 'none'})"))
                for relative in (f"nic/{name}/{index}", f"journal/{name}/{index}"):
                    if relative not in view.files:
                        problems.append(("live-files", f"{name}: no {relative}"))
                version = nic.get("hook_version")
                if version and f"hook-versions/{version}.lua" not in view.files:
                    problems.append(("live-files", f"{name}: NIC {index}'s hook version {version[:12]} is not kept"))
                if nic.get("mode") == "bridged" and view.taps[tap] != "br0":
                    problems.append(("live-taps", f"{name}: bridged tap {tap} is not in br0 (master {view.taps[tap]})"))
                if nic.get("mode") == "routed":
                    routed_taps.append(tap)
                    problems += self.routed(name, index, tap, view)
        if routed_taps:
            for tap, value in self.namespace.proxy_arp(routed_taps).items():
                if value != "1":
                    problems.append(("live-routes", f"routed tap {tap} has proxy_arp {value}"))
        if problems:
            invariant = problems[0][0]
            raise Violation(invariant, "a live instance lacks what it needs:\n  " + "\n  ".join(d for _, d in problems))
        return owned

    def routed(self, name: str, index: int, tap: str, view: NodeView) -> list[tuple[str, str]]:
        nics = self.fleet.nics(name)
        table = nics[index].table if index < len(nics) else None
        ip = self.fleet.routed_ip(name, index)
        problems = []
        if not any(r.get("iif") == tap and str(r.get("table")) == str(table) for r in view.rules):
            problems.append(("live-routes", f"{name}: no rule iif {tap} lookup {table}"))
        if not any(r.get("dev") == tap and r.get("dst") == ip and str(r.get("table")) == str(table)
                   for r in view.routes):
            problems.append(("live-routes", f"{name}: no route {ip} dev {tap} table {table}"))
        return problems

    def nothing_else(self, view: NodeView, owned: dict[str, Any]) -> None:
        taps = set(owned["taps"])
        stray = sorted(set(view.taps) - taps)
        if stray:
            raise Violation("stray-tap", f"taps no instance owns: {', '.join(stray)}")
        rules = [r for r in view.rules
                 if (r.get("iif") or r.get("oif")) and (r.get("iif") or r.get("oif")) not in taps]
        if rules:
            raise Violation("stray-rule", "rules of a tap no instance owns:\n  " + "\n  ".join(json.dumps(r) for r in rules))
        # br0's and lo's own routes are the namespace's; the routed tables are the instances' alone.
        routes = [r for r in view.routes if r.get("dev") not in taps
                  and (r.get("dev") not in ("br0", "lo") or str(r.get("table")) in map(str, ROUTED_TABLES))]
        if routes:
            raise Violation("stray-route", "routes no instance owns:\n  " + "\n  ".join(json.dumps(r) for r in routes))
        self.no_stray_process(view, owned)
        self.no_stray_file(view, owned)

    def no_stray_process(self, view: NodeView, owned: dict[str, Any]) -> None:
        stray = []
        for process in view.processes:
            if not process.alive or process.pid in owned["pids"] or process.pid == self.daemon.pid:
                continue
            # The daemon's hook workers are its own children.
            if process.ppid == self.daemon.pid and process.argv[1:3] == ["hooks", "worker"]:
                continue
            stray.append(f"{process.pid} ({process.state}, parent {process.ppid}): {' '.join(process.argv)[:160]}")
        if stray:
            raise Violation("stray-process", "processes no instance owns:\n  " + "\n  ".join(stray))

    def no_stray_file(self, view: NodeView, owned: dict[str, Any]) -> None:
        live = owned["names"]
        stopped = {n for n, i in view.instances.items() if i["state"] == "stopped"}
        stray = []
        for path in sorted(view.files):
            parts = path.split("/")
            top = parts[0]
            # lock/<name> lives only while an operation holds it, and none is under way here
            # (one a killed daemon left is swept at the next start): it is checked as the rest.
            if path in ("api.sock", "serve.lock") or top in ("cache", "site-live"):
                continue
            if top == "hook-versions":
                if parts[1].removesuffix(".lua") not in self.hooks.known_versions:
                    stray.append(f"{path} (not a version the soak ever served)")
                continue
            if top == "stopped" and len(parts) == 2 and parts[1] in stopped:
                continue
            owner = None
            if top == "conf" and len(parts) == 2:
                base, _, suffix = parts[1].rpartition(".")
                owner = base if suffix in ("runtime", "spec") else None
            elif top == "pid" and len(parts) == 2:
                owner = parts[1]
            elif top == "ctrl" and len(parts) == 2:
                base, _, suffix = parts[1].rpartition(".")
                owner = base if suffix in ("qmp", "events", "serial", "qga") else None
            elif top in ("nic", "journal") and len(parts) == 3:
                owner = parts[1]
            if owner is None or owner not in live:
                stray.append(path)
        if stray:
            raise Violation("stray-file", "files no instance owns: " + ", ".join(stray))


class ResourceWatch:
    """The daemon's open descriptors and RSS must not grow.

    Each daemon process (a restart makes a new one) is watched from the end of a warm-up (its
    first WARMUP operations: Swift's runtime, metric series, caches and hook workers settle).
    Descriptors depend on how many instances are live (their events sockets) and not much
    else, so the first count seen at each number of live instances after the warm-up is its
    baseline, and a count more than FD_SLACK above it is growth: a leak of one descriptor per
    operation shows within FD_SLACK + 1 operations at that number, while a request in flight
    or a hook worker being replaced stays well within it.
    RSS moves with malloc's arenas and caches, so a fixed bound is what holds without flakes:
    RSS_SLACK_KIB above the largest RSS seen by the end of the warm-up. A slow leak below that
    bound is for the longer runs by hand, whose summary prints RSS at each daemon's start and
    end of measurement."""

    WARMUP = 10
    FD_SLACK = 8
    RSS_SLACK_KIB = 64 * 1024

    def __init__(self, daemon: Daemon):
        self.daemon = daemon
        self.lifetimes: list[dict[str, Any]] = []
        self.restart()

    def restart(self) -> None:
        self.current = {"pid": None, "ops": 0, "fd_base": {}, "rss_base": 0, "first": None, "last": None}
        self.lifetimes.append(self.current)

    def sample(self, live: int) -> None:
        life = self.current
        life["pid"] = self.daemon.pid
        fds, rss = self.daemon.fds(), self.daemon.rss_kib()
        life["ops"] += 1
        if life["first"] is None:
            life["first"] = (fds, rss)
        life["last"] = (fds, rss)
        life["max_rss"] = max(life.get("max_rss", 0), rss)
        if life["ops"] <= self.WARMUP:
            life["rss_base"] = max(life["rss_base"], rss)
            return
        base = life["fd_base"].setdefault(live, fds)
        if fds > base + self.FD_SLACK:
            raise Violation("fd-growth", f"the daemon holds {fds} descriptors with {live} live instances, "
                                         f"{base} at the same number earlier in its life\n" + self.fd_listing())
        if rss > life["rss_base"] + self.RSS_SLACK_KIB:
            raise Violation("rss-growth", f"the daemon's RSS is {rss // 1024} MiB, {life['rss_base'] // 1024} MiB "
                                          f"after its warm-up")

    def fd_listing(self) -> str:
        kinds: Counter[str] = Counter()
        folder = f"/proc/{self.daemon.pid}/fd"
        for fd in os.listdir(folder):
            try:
                target = os.readlink(f"{folder}/{fd}")
            except OSError:
                continue
            kinds[target.split(":[")[0] if ":[" in target else target] += 1
        return "  descriptors: " + ", ".join(f"{k} x{n}" for k, n in kinds.most_common())

    def summary(self) -> list[str]:
        lines = []
        for i, life in enumerate(self.lifetimes):
            if life["first"] is None:
                continue
            (f0, r0), (f1, r1) = life["first"], life["last"]
            lines.append(f"daemon {i + 1} (pid {life['pid']}, {life['ops']} ops): fds {f0} -> {f1}, "
                         f"RSS {r0 / 1024:.1f} -> {r1 / 1024:.1f} MiB (at most {life['max_rss'] / 1024:.1f})")
        return lines


# MARK: the operations


@dataclasses.dataclass
class Outcome:
    description: str
    status: int | str


class Soak:
    KINDS = [  # (kind, weight)
        ("start", 26), ("stop", 14), ("reboot", 6), ("cleanup", 5), ("kill-qemu", 8),
        ("kill-daemon", 3), ("hook-edit", 6), ("bad-request", 16),
    ]

    def __init__(self, args: argparse.Namespace, work: str):
        self.args = args
        self.rng = random.Random(args.seed)
        self.namespace = Namespace(f"taphouse-soak-{os.getpid()}")
        state = os.path.join(work, "state")
        site = os.path.join(work, "site")
        os.makedirs(state)
        os.makedirs(site)
        binary = prepared_binary(args.taphouse, work)
        self.daemon = Daemon(binary, self.namespace, state, site, os.path.join(work, "daemon.log"))
        self.fleet = Fleet(args.max_instances, args.kernel, args.initrd, args.tcg)
        self.hooks = SiteHooks(site, work)
        self.invariants = Invariants(self.daemon, self.namespace, self.fleet, self.hooks)
        self.expected = {name: Expected() for name in self.fleet.names}
        self.resources = ResourceWatch(self.daemon)
        self.mix: Counter[str] = Counter()
        self.completed = 0
        self.skip = set(args.skip)
        self.bad_requests = bad_requests(self.fleet)
        self.bad_requests_by_name = {r[0]: r for r in self.bad_requests}

    @staticmethod
    def skippable() -> set[str]:
        """What --skip takes: an operation kind, a bad request, a hook edit, or the restart of
        a daemon over a broken site hook (the broken files are then removed first)."""
        return ({k for k, _ in Soak.KINDS} | {r[0] for r in bad_requests(Fleet(1, "/k", "/i", False))}
                | {v[0] for v in SiteHooks.variants_of({"bridged": b"", "routed": b""})}
                | {"restart over a broken hook"})

    @property
    def api(self) -> Api:
        return self.daemon.api

    # The draws: always the same number per operation, whatever the node's state.
    def draw(self) -> tuple[str, int, int, float]:
        kinds = [(k, w) for k, w in self.KINDS if k not in self.skip]
        kind = self.rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        return kind, self.rng.randrange(len(self.fleet.names)), self.rng.randrange(1 << 30), self.rng.random()

    def live_names(self, view_instances: dict[str, dict]) -> list[str]:
        return [n for n in self.fleet.names if view_instances.get(n, {}).get("state") in LIVE]

    def running_count(self, instances: dict[str, dict]) -> int:
        return sum(1 for i in instances.values() if i["state"] == "running")

    def aim(self, index: int, live: list[str]) -> str | None:
        """The first live instance from `index` on (cyclically)."""
        names = self.fleet.names
        for k in range(len(names)):
            name = names[(index + k) % len(names)]
            if name in live:
                return name
        return None

    def step(self, kind: str, index: int, variant: int, fraction: float) -> Outcome:
        instances = self.api.instances()
        live = self.live_names(instances)
        name = self.fleet.names[index]
        if kind == "start":
            if name in live:
                return self.bad_request_live_start(name)
            return self.start(name, paused=self.running_count(instances) >= MAX_RUNNING or fraction < 0.7)
        if kind in ("stop", "reboot", "kill-qemu"):
            target = self.aim(index, live)
            if target is None:
                return self.start(name, paused=True)
            if kind == "stop":
                return self.stop(target, force=fraction < 0.5)
            if kind == "reboot":
                # A reboot leaves the guest running: only where that keeps within MAX_RUNNING.
                if instances[target]["state"] == "paused" and self.running_count(instances) >= MAX_RUNNING:
                    return self.stop(target, force=True)
                return self.reboot(target)
            return self.kill_qemu(target, instances[target])
        if kind == "cleanup":
            stopped = [n for n in self.fleet.names if instances.get(n, {}).get("state") == "stopped"]
            target = stopped[variant % len(stopped)] if stopped else None
            if target is None:
                return self.bad_request(self.bad_requests_by_name["cleanup of an unknown instance"], live)
            return self.cleanup(target)
        if kind == "kill-daemon":
            return self.kill_daemon(variant, fraction, name, live, instances)
        if kind == "hook-edit":
            return self.hook_edit(variant)
        if kind == "bad-request":
            choices = [b for b in self.bad_requests if b[0] not in self.skip]
            return self.bad_request(choices[variant % len(choices)], live)
        raise AssertionError(kind)

    def call(self, method: str, path: str, body: Any = None, want: int = 200) -> Answer:
        answer = self.api.request(method, path, body)
        if answer.status != want:
            raise Violation("answer", f"{method} {path} answered {answer.status}, not {want}: {answer.brief()}")
        return answer

    def start(self, name: str, paused: bool) -> Outcome:
        query = "?paused=true" if paused else ""
        answer = self.call("POST", f"/v1/instances{query}", self.fleet.spec(name), want=201)
        started = answer.json() or {}
        served = {"bridged": self.hooks.served["bridged"], "routed": self.hooks.served["routed"]}
        for nic in started.get("nics", []):
            if nic.get("hook_version") != served.get(nic.get("mode")):
                raise Violation("hooks", f"{name}'s NIC {nic['index']} came up with hook version "
                                         f"{str(nic.get('hook_version'))[:12]}, the {nic.get('mode')} hook served is "
                                         f"{served.get(nic.get('mode'), '')[:12]}")
        self.expected[name] = Expected("live", started.get("pid"))
        return Outcome(f"start {name}{' paused' if paused else ''}", answer.status)

    def stop(self, name: str, force: bool) -> Outcome:
        answer = self.call("POST", f"/v1/instances/{name}/stop", {"timeout": 1, "force": force})
        self.expected[name] = Expected("absent")
        return Outcome(f"stop {name}{' force' if force else ''}", answer.status)

    def reboot(self, name: str) -> Outcome:
        answer = self.call("POST", f"/v1/instances/{name}/reboot", {"timeout": 1})
        self.expected[name] = Expected("live", None)
        return Outcome(f"reboot {name}", answer.status)

    def cleanup(self, name: str) -> Outcome:
        answer = self.call("POST", f"/v1/instances/{name}/cleanup", {})
        self.expected[name] = Expected("absent")
        return Outcome(f"cleanup {name}", answer.status)

    def kill_qemu(self, name: str, item: dict) -> Outcome:
        pid = item["pid"]
        os.kill(pid, signal.SIGKILL)
        # The supervisor sees QMP's socket close, runs the NICs' down and removes the files.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            listed = self.api.instances().get(name)
            if listed and listed["state"] == "stopped":
                break
            time.sleep(0.05)
        else:
            raise Violation("agrees", f"{name} still listed {listed and listed['state']} 20 s after its qemu {pid} "
                                      f"was killed")
        if listed.get("reason") != "crashed":
            raise Violation("agrees", f"{name} is stopped with reason {listed.get('reason')!r}, not 'crashed'")
        self.expected[name] = Expected("stopped")
        self.settle(deadline)
        return Outcome(f"kill -9 qemu {pid} of {name}", "killed")

    def settle(self, deadline: float) -> None:
        """Waits, up to the deadline, for the node to pass every check: a clean-up the daemon
        does on its own (after a qemu's end) may still be under way when the list already says
        stopped. Past the deadline the check after the operation reports what is left."""
        while time.monotonic() < deadline:
            try:
                self.invariants.check(look(self.daemon, self.namespace), self.expected)
                return
            except Violation:
                time.sleep(0.1)

    def kill_daemon(self, variant: int, fraction: float, name: str, live: list[str],
                    instances: dict[str, dict]) -> Outcome:
        """SIGKILL, then a restart: it must adopt every live qemu, clean up after dead ones and
        roll back what it was killed in the middle of. Three ways, by the variant: idle (1 in 4);
        in the middle of an operation (async, killed up to 0.5 s into it; 2 in 4); with a qemu
        killed while no daemon runs (1 in 4)."""
        way = variant % 4
        during = None
        target = self.aim(variant, live)
        if way in (1, 3):
            what = ("start", "stop", "reboot")[(variant >> 2) % 3]
            if what == "start" and name in live:
                what = "stop"
            if what != "start" and target is None:
                what = "start"
            if what == "reboot" and instances[target]["state"] == "paused" \
                    and self.running_count(instances) >= MAX_RUNNING:
                what = "stop"
            if what == "start":
                during = ("start", name, "/v1/instances?paused=true&async=true", self.fleet.spec(name))
            elif what == "stop":
                during = ("stop", target, f"/v1/instances/{target}/stop?async=true", {"timeout": 1, "force": True})
            else:
                during = ("reboot", target, f"/v1/instances/{target}/reboot?async=true", {"timeout": 1})
        description = "kill -9 daemon"
        if during:
            what, target, path, body = during
            answer = self.api.request("POST", path, body)
            if answer.status != 202:
                raise Violation("answer", f"POST {path} answered {answer.status}, not 202: {answer.brief()}")
            delay = fraction * 0.5
            time.sleep(delay)
            description += f" {delay:.2f} s into {what} {target}"
        if self.hooks.broken and "restart over a broken hook" in self.skip:
            # The admin fixes the site first (by removing the broken files): a restart then
            # has only good hooks to load.
            self.hooks_settle("broken hooks removed before the restart",
                              {mode: None for mode in sorted(self.hooks.broken)}, True)
        old = self.daemon.pid
        self.daemon.kill()
        if way == 2 and target:
            pid = instances[target]["pid"]
            os.kill(pid, signal.SIGKILL)
            description += f", then qemu {pid} of {target}"
            # Until init reaps it, a killed qemu is a zombie that kill(pid, 0) still finds: a
            # node's init reaps at once, this container's may not, and that is not taphouse's.
            deadline = time.monotonic() + 5
            while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
                time.sleep(0.02)
            # Listed stopped (crashed) by the daemon that finds it dead.
            self.expected[target] = Expected("stopped")
        took = self.daemon.start()
        self.resources.restart()
        if during:
            # Either outcome is right (it ran, or nothing of it is left; a stop or reboot cut
            # short may also leave a dead qemu, cleaned up and listed crashed); the daemon says
            # which. A start leaves no stopped record of its own.
            what, target = during[0], during[1]
            listed = self.api.instances().get(target)
            state = "live" if listed and listed["state"] in LIVE else "stopped" if listed else "absent"
            if what == "start" and state == "stopped" and self.expected[target].state != "stopped":
                raise Violation("agrees", f"the start of {target} cut short left it listed stopped "
                                          f"({listed.get('reason')}): it should run or have left nothing")
            self.expected[target] = Expected(state, listed.get("pid") if state == "live" else None)
        self.hooks.resync(self.api.hooks())
        return Outcome(f"{description} (daemon {old}), restarted in {took:.2f} s", "restarted")

    def hook_edit(self, variant: int) -> Outcome:
        variants = [v for v in self.hooks.variants() if v[0] not in self.skip]
        description, changes, accepted = variants[variant % len(variants)]
        self.hooks_settle(description, changes, accepted)
        return Outcome(f"hook edit {description}", "served" if accepted else "refused")

    def hooks_settle(self, description: str, changes: dict[str, bytes | None], accepted: bool) -> None:
        """Makes the edit and waits until GET /v1/hooks shows what it must."""
        self.hooks.apply(description, changes)
        want = self.hooks.expectation(changes, accepted)
        # inotify, then a check in a hook worker: the daemon takes a moment.
        deadline = time.monotonic() + 15
        while True:
            served = self.api.hooks()
            wrong = {}
            for mode, fields in want.items():
                entry = served.get(f"network/{mode}.lua", {})
                if any(entry.get(k) != v for k, v in fields.items()) or (accepted and "refused_version" in entry):
                    wrong[mode] = entry
            if not wrong:
                break
            if time.monotonic() > deadline:
                raise Violation("hooks", f"15 s after the edit ({description}) GET /v1/hooks should show "
                                         f"{want}, shows {wrong}")
            time.sleep(0.05)

    def bad_request_live_start(self, name: str) -> Outcome:
        return self.refused("start of a live instance", "POST", "/v1/instances", self.fleet.spec(name), 409)

    def bad_request(self, request: tuple, live: list[str]) -> Outcome:
        description, method, path, body, status, needs_live = request
        if needs_live:
            if not live:
                return self.refused("info of an unknown instance", "GET", "/v1/instances/soak-nosuch.example.org", None, 404)
            target = live[len(description) % len(live)]
            path = path.format(live=target)
            description += f" ({target})"
        return self.refused(description, method, path, body, status)

    def refused(self, description: str, method: str, path: str, body: Any, status: int) -> Outcome:
        before = look(self.daemon, self.namespace).fingerprint()
        answer = self.api.request(method, path, body)
        problems = []
        if answer.status != status:
            problems.append(f"answered {answer.status}, not {status}: {answer.brief()}")
        if not answer.content_type.startswith("application/problem+json"):
            problems.append(f"answered with Content-Type {answer.content_type!r}, not application/problem+json")
        elif (answer.json() or {}).get("status") != answer.status:
            problems.append(f"the problem document's status is not {answer.status}: {answer.brief()}")
        if problems:
            raise Violation("answer", f"{method} {path} ({description}) " + "; ".join(problems))
        after = look(self.daemon, self.namespace).fingerprint()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        if changed:
            details = "\n  ".join(f"{k}: {sorted(set(map(str, a)) ^ set(map(str, b)))}" for k, (a, b) in changed.items())
            raise Violation("unchanged", f"{method} {path} ({description}) was refused but changed the node:\n  {details}")
        return Outcome(f"bad request: {description}", answer.status)

    # The run.
    def run(self) -> int:
        ops = self.args.ops
        began = time.monotonic()
        n, description = 0, "the daemon's start"
        try:
            self.namespace.create()
            self.daemon.start()
            for n in range(1, ops + 1):
                kind, index, variant, fraction = self.draw()
                t0 = time.monotonic()
                description = kind
                self.mix[kind] += 1
                outcome = self.step(kind, index, variant, fraction)
                description = outcome.description
                print(f"op {n}/{ops} seed {self.args.seed}: {description} -> {outcome.status} "
                      f"({time.monotonic() - t0:.2f} s)", flush=True)
                view = look(self.daemon, self.namespace)
                self.invariants.check(view, self.expected)
                self.remember_pids(view)
                live_count = len(self.live_names(view.instances))
                self.resources.sample(live_count)
                self.completed = n
                if n % 100 == 0:
                    print(f"after op {n}: {live_count} live, daemon {self.daemon.pid}: {self.daemon.fds()} fds, "
                          f"RSS {self.daemon.rss_kib() / 1024:.1f} MiB", flush=True)
        except Violation as violation:
            return self.fail(n, began, description, violation)
        except (OSError, http.client.HTTPException) as error:
            return self.fail(n, began, description, Violation("daemon", f"talking to the daemon failed: {error!r}"))
        finally:
            self.daemon.kill()
        self.summary(n, began)
        print(f"{n} operations, 0 violations", flush=True)
        return 0

    def fail(self, n: int, began: float, description: str, violation: Violation) -> int:
        where = f"after op {n}" if n else "before op 1"
        print(f"violation: {violation.invariant} {where} ({description})", flush=True)
        print(violation.details, flush=True)
        if violation.invariant in ("answer", "daemon") and "daemon log" not in violation.details:
            print(self.daemon.log_tail(15), flush=True)
        self.summary(n, began)
        print(f"{n} operations, 1 violations", flush=True)
        return 1

    def remember_pids(self, view: NodeView) -> None:
        """A live instance keeps its qemu until an operation changes it: a daemon restarted
        later must list the very same pid (it adopted the qemu, it did not start another)."""
        for name, want in self.expected.items():
            if want.state == "live":
                want.pid = view.instances[name].get("pid")

    def summary(self, done: int, began: float) -> None:
        print(f"seed {self.args.seed}, {done} operations in {time.monotonic() - began:.1f} s; mix: "
              + ", ".join(f"{k} {self.mix[k]}" for k, _ in self.KINDS), flush=True)
        for line in self.resources.summary():
            print(line, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="The chaos soak of taphouse serve (run it through scripts/soak.sh).")
    parser.add_argument("--taphouse", required=True, help="the taphouse binary")
    parser.add_argument("--kernel", required=True, help="the test guest's kernel")
    parser.add_argument("--initrd", required=True, help="the test guest's initramfs")
    parser.add_argument("--tcg", action="store_true", help="run guests under TCG (kvm_flag disabled)")
    parser.add_argument("--ops", type=int, default=500, help="operations (default 500)")
    parser.add_argument("--seed", type=int, default=1, help="the seed (default 1)")
    parser.add_argument("--max-instances", type=int, default=10, help="instances at most (default 10)")
    parser.add_argument("--skip", action="append", default=[], metavar="KIND",
                        help="leave out an operation kind, a bad request or a hook edit, by its description as the "
                             "output prints it, or \"restart over a broken hook\" (changes the sequence)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (state, daemon log) at the end")
    args = parser.parse_args()
    unknown = set(args.skip) - Soak.skippable()
    if unknown:
        parser.error(f"--skip {', '.join(sorted(unknown))}: not one of: " + "; ".join(sorted(Soak.skippable())))
    if os.geteuid() != 0:
        print("soak: needs root (a network namespace)", file=sys.stderr)
        return 2
    if not 1 <= args.max_instances <= 200 or args.ops < 1:
        parser.error("--max-instances must be within 1..200 and --ops at least 1")

    # SIGTERM and SIGHUP end the run through the same clean-up as the end of it.
    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    work = tempfile.mkdtemp(prefix="taphouse-soak.")
    soak = None
    try:
        soak = Soak(args, work)
        return soak.run()
    except KeyboardInterrupt:
        print("soak: interrupted", file=sys.stderr)
        print(f"{soak.completed if soak else 0} operations, 0 violations")
        return 130
    except Exception:
        # A failure of the soak itself (or of `ip`), not an invariant: said as such.
        traceback.print_exc()
        print(f"{soak.completed if soak else 0} operations, 0 violations")
        return 2
    finally:
        if soak is not None:
            soak.daemon.kill()
            soak.namespace.destroy()
        if args.keep:
            print(f"soak: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
