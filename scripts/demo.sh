#!/usr/bin/env bash
# The main job, as far as it goes today, on a throwaway network namespace (deleted at the end):
# plan an instance's qemu command line, then bring its two NICs (bridged and routed) up and down
# through the built-in Lua hooks, on real taps, and show that nothing is left behind. Also shows
# the hook sandbox catching a bug and a runaway hook. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build --product taphouse
taphouse=$(swift build --show-bin-path)/taphouse
ns=taphouse-demo-$$
state=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$state"; }
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

echo "== a hook with a bug: the error names file and line"
"$taphouse" hooks eval examples/eval/broken.lua || echo "(exit status $?)"
echo "== a runaway hook: stopped by its time budget even though it catches errors"
"$taphouse" hooks eval examples/eval/runaway.lua --timeout-ms 200 || echo "(exit status $?)"
