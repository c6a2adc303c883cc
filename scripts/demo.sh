#!/usr/bin/env bash
# The main job on a throwaway network namespace (deleted at the end): plan an instance's qemu
# command line; bring two NICs (bridged and routed) up and down through the built-in Lua hooks on
# real taps; then start a real guest (the test guest, built from Debian packages or reused) on
# the namespace's bridge with `taphouse instance start`, show `instance info`, ping it, stop it
# and show nothing is left. Also shows the hook sandbox catching a bug and a runaway hook.
# Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build --product taphouse
taphouse=$(swift build --show-bin-path)/taphouse
ns=taphouse-demo-$$
state=$(mktemp -d)
cleanup() {
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid"; done
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$state"
}
trap cleanup EXIT

echo "== the qemu command line planned for examples/demo/web1.json (NICs are added at start)"
"$taphouse" plan --spec examples/demo/web1.json --state-dir "$state" | sed -n '1,24p'

echo "== a throwaway namespace $ns with a bridge br0 (MTU 1400) and two taps"
ip netns add "$ns"
ip -n "$ns" link add br0 type bridge
ip -n "$ns" link set br0 mtu 1400 up
ip -n "$ns" tuntap add dev tap0 mode tap
ip -n "$ns" tuntap add dev tap1 mode tap
run() { ip netns exec "$ns" "$taphouse" hooks run --spec examples/demo/web1.json --state-dir "$state" --hooks-dir "$state/site" "$@"; }

echo "== NIC 0 (bridged), dry run: what the hook would do"
run --nic 0 --interface tap0 --action up --dry-run
echo "== NIC 0 and NIC 1 (routed, table 100) up for real"
run --nic 0 --interface tap0 --action up
run --nic 1 --interface tap1 --action up
ip -n "$ns" -br link show tap0
ip -n "$ns" route show table 100
ip -n "$ns" rule show | grep tap1
echo "== the journal of NIC 1: what down will undo"
cat "$state/journal/web1.example.org/1"
echo "== both down: the journals are undone"
run --nic 0 --interface tap0 --action down
run --nic 1 --interface tap1 --action down
ip -n "$ns" -br link show tap0
echo "rules left for tap1: $(ip -n "$ns" rule show | grep -c tap1 || true)"
ip -n "$ns" link del tap0
ip -n "$ns" link del tap1

echo "== a real guest: build (or reuse) the test guest"
guest=$(bash scripts/build-test-guest.sh .build-guest)
kernel=$(sed -n 1p <<<"$guest")
initrd=$(sed -n 2p <<<"$guest")
# TCG where KVM cannot run a Linux guest (kvm_pvm) or is absent.
kvm_flag=""
if [[ -e /sys/module/kvm_pvm || ! ( -e /sys/module/kvm_intel || -e /sys/module/kvm_amd ) ]]; then
    kvm_flag=', "kvm_flag": "disabled"'
fi
ip -n "$ns" addr add 10.99.0.1/24 dev br0
cat >"$state/demo1.json" <<JSON
{"name": "demo1.example.org", "uuid": "4f1e7c66-2d5a-4a4e-9d2b-1f0a2b3c4d5e", "tags": ["demo"],
 "hvparams": {"kvm_path": "/usr/bin/qemu-system-x86_64", "kernel_path": "$kernel", "initrd_path": "$initrd",
              "kernel_args": "guest.ip=10.99.0.2/24 guest.gw=10.99.0.1"$kvm_flag},
 "beparams": {"maxmem": 256, "vcpus": 1}, "disks": [],
 "nics": [{"mac": "52:54:00:12:34:56", "uuid": "0b7e5a55-6f0c-4c1e-8a3a-2f1d0e9c8b7a",
           "nicparams": {"mode": "bridged", "link": "br0"}}]}
JSON
instance() { ip netns exec "$ns" "$taphouse" instance "$@" --state-dir "$state" --hooks-dir "$state/site"; }
echo "== taphouse instance start: a tap, the bridged hook, qemu, QMP"
instance start --spec "$state/demo1.json"
instance info demo1.example.org
echo "== taphouse instance console --json: how to reach it (its serial console, over ssh to this node)"
instance console demo1.example.org --json
echo "== ping the guest from the bridge (it boots in a few seconds)"
for _ in $(seq 60); do
    if ip netns exec "$ns" .build-guest/busybox ping -c 1 -W 1 10.99.0.2 >/dev/null 2>&1; then break; fi
done
ip netns exec "$ns" timeout 10 .build-guest/busybox ping -c 3 10.99.0.2
echo "== taphouse instance stop: qemu gone, the NIC's journal undone"
instance stop demo1.example.org --timeout 3
echo "qemu processes left: $(pgrep -fc "pidfile $state/pid/demo1" || true); taps left: $(ip -n "$ns" -o link show type tun | wc -l)"

echo "== a hook with a bug: the error names file and line"
"$taphouse" hooks eval examples/eval/broken.lua || echo "(exit status $?)"
echo "== a runaway hook: stopped by its time budget even though it catches errors"
"$taphouse" hooks eval examples/eval/runaway.lua --timeout-ms 200 || echo "(exit status $?)"
