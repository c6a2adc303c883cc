#!/usr/bin/env bash
# The chaos soak of the node daemon (issue 15, point 3): a seeded, reproducible random sequence
# of operations (start, stop, reboot, cleanup, kill -9 of a qemu, kill -9 of the daemon and a
# restart, hook edits, bad requests) on up to 10 instances of the test guest, against `taphouse
# serve` in a throwaway network namespace, with the node's invariants checked after every one
# (scripts/soak/soak.py says which).
#
#   scripts/soak.sh [--ops N] [--seed S] [--max-instances M] [--skip KIND]... [--keep]
#
# Exits non-zero at the first violated invariant, naming it and the operation that broke it;
# the last line reads `N operations, N violations`. CI runs 500 operations; run more by hand.
# --skip DESCRIPTION leaves out an operation kind, a bad request or a hook edit (`--skip
# kill-daemon` keeps one daemon for the whole run, for a leak hunt); it changes the sequence.
# Needs root. TAPHOUSE_BIN=PATH uses that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
if [ "$(id -u)" -ne 0 ]; then
    echo "soak: needs root (a network namespace)" >&2
    exit 1
fi

if [[ -n ${TAPHOUSE_BIN:-} ]]; then
    taphouse=$(realpath "$TAPHOUSE_BIN")
else
    swift build --product taphouse >&2
    taphouse="$(swift build --show-bin-path)/taphouse"
fi

guest=$(bash scripts/build-test-guest.sh .build-guest)
kernel=$(sed -n 1p <<<"$guest")
initrd=$(sed -n 2p <<<"$guest")
# TCG where KVM cannot run a Linux guest (kvm_pvm) or is absent, as the demo decides.
tcg=()
if [[ -e /sys/module/kvm_pvm || ! (-e /sys/module/kvm_intel || -e /sys/module/kvm_amd) ]]; then
    tcg=(--tcg)
fi

exec python3 scripts/soak/soak.py --taphouse "$taphouse" --kernel "$kernel" --initrd "$initrd" "${tcg[@]}" "$@"
