#!/usr/bin/env bash
# Installs what taphouse needs to build and test on Debian 12, as root. Idempotent: installs only
# what is missing. The Swift toolchain is not a Debian package; it must already be on PATH (or in
# /opt/swift/usr/bin).
set -euo pipefail

# ebtables, arptables, iptables, nftables and bird2 are what the example ports of Ganeti sites'
# scripts run (examples/hooks); their tests skip, saying so, where these are missing. curl drives
# the daemon in its tests, openssl makes the certificate of its TLS test; python3 runs the chaos
# soak (scripts/soak.sh) and, in a venv, schemathesis (scripts/apifuzz.sh).
packages=(liblua5.4-dev pkg-config qemu-system-x86 iproute2 openvswitch-switch ebtables arptables iptables nftables bird2 curl openssl python3 python3-venv)

# Installs those of the packages named that are missing (scripts that need more call it too).
need_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    echo "setup: installing ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: need root to install ${missing[*]} (run as root, or install them first)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
need_packages "${packages[@]}"

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || {
    echo "setup: no swift on PATH: install the Swift 6 toolchain (swift.org) first" >&2
    exit 1
}
