#!/bin/bash
# The baseline for taphouse-netbench: Ganeti 3.2's bridged up, step by step, one fork per
# command as its kvm-nic-setup and network/bridged/up scripts do (reference D.4). Run inside the
# benchmark's namespace with `ip netns exec`, once per NIC: ganeti-bridged-up.sh TAP BRIDGE.
set -e
INTERFACE=$1
LINK=$2
# fix_mac: first octet fe, so the bridge never takes the tap's address
MAC=$(ip link show "$INTERFACE" | awk '/link\/ether/ {printf("fe%s", substr($2,3,15))}')
ip link set "$INTERFACE" address "$MAC"
ip link set "$INTERFACE" up
ip link set "$INTERFACE" mtu "$(</sys/class/net/${LINK}/mtu)"
ip link set "$INTERFACE" master "$LINK"
