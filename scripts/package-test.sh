#!/usr/bin/env bash
# Installs the Debian package into this machine's real system, uses it, upgrades it under a
# running guest, and purges it (issue 17; docs/packaging.md):
#   - `taphouse node verify` passes from the installed paths, `--version` and `man` work, the
#     unit passes `systemd-analyze verify`;
#   - the daemon runs with the unit's ExecStart line (in a throwaway network namespace: systemd
#     is not PID 1 on these machines), and a guest starts through it and answers a ping;
#   - a newer package (revision 2, whose built-in bridged hook has a down that fails) installed
#     while the guest runs: the guest's qemu goes on, the restarted daemon adopts it, and its NIC
#     goes down with revision 1's hook (stop succeeds), while a NIC brought up by revision 2's
#     goes down with revision 2's (stop reports its error);
#   - remove keeps a site hook in /etc/taphouse/hooks; purge leaves no file of the package.
#   scripts/package-test.sh     (two release packages: about 10 minutes from nothing on 2 cores)
# Refuses to run where taphouse is installed already, or /run/taphouse or /etc/taphouse exist.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
need_packages man-db systemd
repo=$PWD

[[ $(id -u) -eq 0 ]] || { echo "package-test: needs root (it installs a package)" >&2; exit 1; }
if [[ $(dpkg-query -W -f='${Status}' taphouse 2>/dev/null || true) == *installed* ]]; then
    echo "package-test: taphouse is installed on this machine; this test installs and purges its own" >&2
    exit 1
fi
for path in /run/taphouse /etc/taphouse /usr/lib/taphouse /usr/share/taphouse; do
    [[ ! -e $path ]] || { echo "package-test: $path exists; this test needs a node without taphouse" >&2; exit 1; }
done

started=$(date +%s)
step() { echo "package-test: $1 (at $(($(date +%s) - started)) s)" >&2; }
fail() {
    echo "package-test: FAILED: $1" >&2
    [[ -f ${log:-/nonexistent} ]] && tail -20 "$log" | sed 's/^/  daemon: /' >&2
    exit 1
}

work=$(mktemp -d /tmp/taphouse-package-test.XXXXXX)
ns=th-pkg-$$
daemon=""
cleanup() {
    set +e
    [[ -n $daemon ]] && kill -9 "$daemon" 2>/dev/null
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid"; done
    ip netns del "$ns" 2>/dev/null
    if dpkg-query -W taphouse >/dev/null 2>&1; then dpkg --purge taphouse >/dev/null 2>&1; fi
    rm -rf /run/taphouse /etc/taphouse "$work"
}
trap cleanup EXIT

step "building revision 1 and revision 2 (its bridged hook's down fails)"
deb1=$(bash scripts/package.sh --revision 1 --output "$work" | tail -1)
cp -R hooks "$work/hooks2"
sed -i '$d' "$work/hooks2/network/bridged.lua"
cat >>"$work/hooks2/network/bridged.lua" <<'EOF'
--- Revision 2 (the package test): a down that fails, to tell whose down ran.
function M.down(nic) error("down of revision 2") end

return M
EOF
deb2=$(bash scripts/package.sh --revision 2 --hooks "$work/hooks2" --output "$work" | tail -1)
ls -l "$deb1" "$deb2" >&2

step "install revision 1"
dpkg -i "$deb1" >&2
[[ $(command -v taphouse) == /usr/bin/taphouse ]] || fail "taphouse is not /usr/bin/taphouse"
# (Output is read whole, then searched: under pipefail, grep -q closing a pipe early would fail
# its writer with SIGPIPE.)
version=$(taphouse --version)
echo "$version" >&2
grep -qx "taphouse [0-9].*" <<<"$version" || fail "--version has no taphouse line"
grep -q "^Lua 5\.4\." <<<"$version" || fail "--version has no Lua line"
# From the installed paths, no option given, run through PATH from any folder: the built-in
# hooks load.
verify=$(cd "$work" && taphouse node verify --json) || fail "node verify failed: $verify"
python3 - "$verify" <<'EOF' || fail "node verify did not check the installed hooks"
import json, sys
v = json.loads(sys.argv[1])
hooks = [c["subject"] for c in v["checks"] if c["kind"] == "hook"]
assert v["ok"] and "/usr/lib/taphouse/hooks/network/bridged.lua" in hooks, v
EOF
[[ -f /usr/share/taphouse/lua/taphouse/ganeti.lua && -d /usr/share/taphouse/lua/meta ]] ||
    fail "the Lua modules are not in /usr/share/taphouse/lua"
grep -q "^bridged	/usr/lib/taphouse/hooks/network/bridged.lua (built-in)$" <<<"$(taphouse hooks list)" ||
    fail "hooks list does not serve the installed bridged hook"
grep -q "A KVM node agent whose site policy" <<<"$(man -P cat taphouse 2>/dev/null)" || fail "man taphouse shows no page"
grep -q "How a NIC reaches a hook" <<<"$(man -P cat taphouse-hooks 2>/dev/null)" ||
    fail "man taphouse-hooks shows no page"
grep -q -- "--spec" <<<"$(man -P cat taphouse.instance.start 2>/dev/null)" || fail "no man page for instance start"
[[ -f /usr/share/bash-completion/completions/taphouse && -f /usr/share/zsh/vendor-completions/_taphouse &&
    -f /usr/share/fish/vendor_completions.d/taphouse.fish ]] || fail "a shell's completions are missing"
bash -c 'source /usr/share/bash-completion/completions/taphouse && complete -p taphouse' >/dev/null ||
    fail "the bash completion does not load"
systemd-analyze verify /lib/systemd/system/taphouse.service || fail "systemd-analyze verify refused the unit"
[[ -L /etc/systemd/system/multi-user.target.wants/taphouse.service ]] || fail "the unit was not enabled"
echo "a site hook" >/etc/taphouse/hooks/README.local
mkdir -p /etc/taphouse/hooks/lua && echo "return {}" >/etc/taphouse/hooks/lua/site.lua

# The unit's own command line, as systemd would run it (no shell: split on blanks, as the line
# has no quoting).
read -r -a exec_start <<<"$(sed -n 's/^ExecStart=//p' /lib/systemd/system/taphouse.service)"
state=$(sed -n 's/.*--state-dir \([^ ]*\).*/\1/p' <<<"${exec_start[*]}")
[[ $state == /run/taphouse ]] || fail "the unit's state directory is $state"
log=$work/daemon.log
start_daemon() {
    mkdir -p "$state" && chmod 0755 "$state" # RuntimeDirectory=taphouse, RuntimeDirectoryMode=0755
    ip netns exec "$ns" "${exec_start[@]}" >>"$log" 2>&1 &
    daemon=$!
    for _ in $(seq 100); do
        curl -sf --unix-socket "$state/api.sock" http://node/v1/node >/dev/null 2>&1 && return 0
        kill -0 "$daemon" 2>/dev/null || fail "the daemon exited"
        sleep 0.1
    done
    fail "the daemon did not answer in 10 s"
}
# Whether a process runs: a zombie (ended; the init of a container may be slow to reap an orphan)
# does not.
runs() { [[ -r /proc/$1/stat ]] && ! grep -q ') Z ' "/proc/$1/stat" 2>/dev/null; }
stop_daemon() { # SIGTERM, as systemd stops it: the guests run on (KillMode=process)
    kill -TERM "$daemon"
    wait "$daemon" || true
    daemon=""
}

step "the daemon from the unit's ExecStart, a guest through it"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" link set br0 up
ip -n "$ns" addr add 10.98.0.1/24 dev br0
start_daemon
guest=$(bash scripts/build-test-guest.sh "$repo/.build-guest")
kernel=$(sed -n 1p <<<"$guest")
initrd=$(sed -n 2p <<<"$guest")
kvm_flag=""
if [[ -e /sys/module/kvm_pvm || ! (-e /sys/module/kvm_intel || -e /sys/module/kvm_amd) ]]; then
    kvm_flag=', "kvm_flag": "disabled"'
fi
spec() { # name, last byte of MAC and address
    cat >"$work/$1.json" <<JSON
{"name": "$1", "uuid": "$(cat /proc/sys/kernel/random/uuid)",
 "hvparams": {"kvm_path": "/usr/bin/qemu-system-x86_64", "kernel_path": "$kernel", "initrd_path": "$initrd",
              "kernel_args": "guest.ip=10.98.0.$2/24 guest.gw=10.98.0.1"$kvm_flag},
 "beparams": {"maxmem": 256, "vcpus": 1}, "disks": [],
 "nics": [{"mac": "52:54:00:98:00:$2", "uuid": "$(cat /proc/sys/kernel/random/uuid)",
           "nicparams": {"mode": "bridged", "link": "br0"}}]}
JSON
}
instance() { ip netns exec "$ns" taphouse instance "$@" --state-dir "$state"; }
info() { instance info "$1" --json | python3 -c "import json,sys; i=json.load(sys.stdin); print($2)"; }
spec one 11
instance start --spec "$work/one.json" >&2
for _ in $(seq 90); do
    ip netns exec "$ns" "$repo/.build-guest/busybox" ping -c 1 -W 1 10.98.0.11 >/dev/null 2>&1 && break
done
ip netns exec "$ns" "$repo/.build-guest/busybox" ping -c 1 -W 2 10.98.0.11 >&2 || fail "the guest does not answer a ping"
pid=$(info one 'i["pid"]')
v1=$(sha256sum /usr/lib/taphouse/hooks/network/bridged.lua | cut -d' ' -f1)
[[ $(info one 'i["nics"][0]["hook_version"]') == "$v1" ]] || fail "the NIC did not come up with revision 1's hook"

step "upgrade to revision 2 while the guest runs; the daemon restarts and adopts it"
dpkg -i "$deb2" >&2
[[ $(dpkg-query -W -f='${Version}' taphouse) == *-2 ]] || fail "revision 2 is not installed"
runs "$pid" || fail "the upgrade stopped the guest's qemu"
# What postinst has systemd do on an upgrade (deb-systemd-invoke restart), by hand.
stop_daemon
runs "$pid" || fail "the daemon's stop took the guest's qemu with it"
start_daemon
[[ $(info one 'i["state"]') == running && $(info one 'i["pid"]') == "$pid" ]] ||
    fail "the restarted daemon did not adopt the guest"
ip netns exec "$ns" "$repo/.build-guest/busybox" ping -c 1 -W 2 10.98.0.11 >&2 || fail "the guest stopped answering"
spec two 12
instance start --spec "$work/two.json" >&2
v2=$(sha256sum /usr/lib/taphouse/hooks/network/bridged.lua | cut -d' ' -f1)
[[ $v2 != "$v1" && $(info two 'i["nics"][0]["hook_version"]') == "$v2" ]] ||
    fail "the new NIC did not come up with revision 2's hook"
# The NIC revision 1 brought up goes down with revision 1's code (no down: the journal undoes it).
instance stop one --force >&2 || fail "the guest of revision 1 did not stop cleanly"
# Revision 2's goes down with its own: its down's error is reported, the journal undone all the same.
if out=$(instance stop two --force 2>&1); then fail "revision 2's down did not run: $out"; fi
grep -q "down of revision 2" <<<"$out" || fail "the stop did not report revision 2's down: $out"
[[ -z $(ip -n "$ns" -o link show type tun) ]] || fail "a tap is left"
if runs "$pid"; then fail "the guest's qemu is left"; fi
stop_daemon

step "remove keeps the site hooks; purge leaves no file of the package"
files=$(dpkg-query -L taphouse | grep -v '^/\.$')
dpkg --remove taphouse >&2
[[ -f /etc/taphouse/hooks/README.local && -f /etc/taphouse/hooks/lua/site.lua ]] || fail "remove took the site hooks"
[[ -f /etc/taphouse/hooks/README ]] || fail "remove took the conffile"
dpkg --purge taphouse >&2
left=()
while read -r file; do
    # (A folder that is a link, /lib on a merged /usr, is the system's.)
    if [[ ! -d $file && (-f $file || -L $file) ]]; then left+=("$file"); fi
    # The package's own folders (not /usr/share/man and the like, nor the site's /etc/taphouse).
    if [[ -d $file && $file == *taphouse* && ! $file =~ ^/etc/taphouse ]]; then left+=("$file"); fi
done <<<"$files"
# What enabling the unit made.
for path in /etc/systemd/system/multi-user.target.wants/taphouse.service /etc/systemd/system/taphouse.service \
    /var/lib/systemd/deb-systemd-helper-enabled/taphouse.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-masked/taphouse.service; do
    if [[ -e $path || -L $path ]]; then left+=("$path"); fi
done
((${#left[@]} == 0)) || fail "purge left: ${left[*]}"
[[ -f /etc/taphouse/hooks/lua/site.lua ]] || fail "purge took the site hooks"
step "passed: $(wc -l <<<"$files") paths installed and purged"
