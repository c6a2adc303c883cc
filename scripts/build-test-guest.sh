#!/usr/bin/env bash
# Builds the tiny Linux guest that integration tests boot under qemu: Debian's cloud kernel and
# an initramfs of busybox-static, the virtio-net modules and an /init that configures the NIC
# from the kernel command line, serves http://ADDR/ and says so on the serial console.
#
#   scripts/build-test-guest.sh [CACHE]     # CACHE defaults to <repo>/.build-guest (git-ignored)
#
# Writes CACHE/vmlinuz and CACHE/initrd.gz and prints their paths, one a line, on stdout
# (progress goes to stderr). Needs Debian's package registry (apt), not the internet at large.
# Idempotent: when both files exist and CACHE/stamp records the same kernel, busybox and
# script versions, it only prints the paths. The initramfs is byte-reproducible (sorted file
# list, fixed owners, mtimes and inode numbers, gzip -n).
#
# Guest kernel command line (the kernel ignores dotted names; /init reads /proc/cmdline):
#   console=ttyS0             where /init reports (use it: the markers go to /dev/console)
#   guest.ip=ADDR/PREFIX      required, unless guest.shell is set
#   guest.gw=ADDR             optional; default route via ADDR
#   guest.mac=MAC             optional; the NIC with that MAC, else eth0
#   guest.poweroff=N          optional; poweroff -f after N seconds (qemu -no-reboot then exits)
#   guest.shell=1             optional; then a shell on the console (after the NIC, if any)
#   guest.hotplug=MAC,ADDR/PREFIX  optional, repeatable; the NIC with MAC gets ADDR whenever it
#                             appears (a hot-added NIC): `GUEST-HOTPLUG nic=NAME mac=MAC ip=...`,
#                             and `GUEST-UNPLUG nic=NAME mac=MAC` when it goes
# Console markers: `GUEST-READY ip=ADDR/PREFIX mac=MAC nic=NAME` once the NIC is configured
# and httpd listens on port 80 (/cgi-bin/disk reads the first sector of /dev/vda, ?write=WORD
# writes it); `GUEST-SHELL` when the console shell starts; `GUEST-ERROR reason` when it cannot
# get there.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
script="$repo/scripts/$(basename "${BASH_SOURCE[0]}")"
out=${1:-$repo/.build-guest}
mkdir -p "$out"
out=$(cd "$out" && pwd)

export LC_ALL=C
# Fixed, not taken from the environment: the same inputs give the same bytes everywhere.
epoch=0
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net
    virtio_blk)

log() { echo "build-test-guest: $*" >&2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out/.vmlinuz.new" "$out/.initrd.gz.new"' EXIT

# Parallel test processes share the cache: one builds, the others wait and then find it built.
exec 9>"$out/.lock"
flock 9

updated=no
apt_update() {
    [[ $updated == no ]] || return 1
    updated=yes
    log "apt-get update"
    if [[ $(id -u) != 0 ]]; then
        log "apt-get update needs root"
        return 1
    fi
    apt-get update -qq >&2
}

# The candidate version of package $1 in `apt-cache policy` output on stdin; empty when none.
candidate() {
    awk -v want="$1:" '
        /^[^ ]/ { package = $1 }
        package == want && $1 == "Candidate:" && $2 != "(none)" { print $2; exit }'
}

# The meta package names the current linux-image-<abi>-cloud-amd64; the ABI moves with
# security updates, so it is resolved each time.
resolve() {
    kernel_package=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-.*-cloud-amd64$/ { print $2; exit }') || true
    kernel_version=""
    busybox_version=""
    [[ -n $kernel_package ]] || return 1
    # One apt-cache call for both candidates: each call can cost most of a second (containers
    # often disable apt's binary cache, so every call parses the lists again).
    local policy
    policy=$(apt-cache policy "$kernel_package" busybox-static 2>/dev/null) || true
    kernel_version=$(candidate "$kernel_package" <<<"$policy")
    busybox_version=$(candidate busybox-static <<<"$policy")
    [[ -n $kernel_version && -n $busybox_version ]]
}

finish() {
    echo "$out/vmlinuz"
    echo "$out/initrd.gz"
    exit 0
}

cached() {
    [[ -s $out/vmlinuz && -s $out/initrd.gz && -x $out/busybox && -f $out/stamp ]] && [[ $(<"$out/stamp") == "$1" ]]
}

if ! resolve; then
    if ! apt_update || ! resolve; then
        if [[ -s $out/vmlinuz && -s $out/initrd.gz && -f $out/stamp ]]; then
            log "cannot resolve linux-image-cloud-amd64 (apt); using the cached guest"
            finish
        fi
        log "cannot resolve linux-image-cloud-amd64 and busybox-static with apt-cache"
        exit 1
    fi
fi

stamp() {
    printf 'kernel %s %s\nbusybox-static %s\nscript %s\n' "$kernel_package" "$kernel_version" \
        "$busybox_version" "$(sha256sum "$script" | cut -d' ' -f1)"
}

if cached "$(stamp)"; then finish; fi

mkdir "$tmp/debs"
download() {
    # As root, apt would hand the download to user _apt, who cannot write into a mktemp folder;
    # it falls back with a warning. Say so up front instead.
    (cd "$tmp/debs" && apt-get download -qq -o APT::Sandbox::User=root \
        "$kernel_package=$kernel_version" "busybox-static=$busybox_version" >&2)
}
log "downloading $kernel_package $kernel_version and busybox-static $busybox_version"
if ! download; then
    # Stale package lists name versions the mirror no longer has.
    apt_update || { log "apt-get download failed"; exit 1; }
    resolve || { log "cannot resolve packages after apt-get update"; exit 1; }
    if cached "$(stamp)"; then finish; fi
    rm -f "$tmp"/debs/*
    log "downloading $kernel_package $kernel_version and busybox-static $busybox_version"
    download
fi

dpkg -x "$tmp"/debs/linux-image-*.deb "$tmp/kernel"
dpkg -x "$tmp"/debs/busybox-static_*.deb "$tmp/busybox"

abi=${kernel_package#linux-image-}
vmlinuz="$tmp/kernel/boot/vmlinuz-$abi"
[[ -f $vmlinuz ]] || { log "no boot/vmlinuz-$abi in $kernel_package"; exit 1; }
moduledir="$tmp/kernel/lib/modules/$abi/kernel"

root="$tmp/root"
mkdir -p "$root"/{bin,dev,lib/modules,proc,sys,tmp,www}
install -m 0755 "$tmp/busybox/bin/busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
for module in "${modules[@]}"; do
    found=$(find "$moduledir" -name "$module.ko" -print -quit)
    [[ -n $found ]] || { log "no $module.ko under lib/modules/$abi/kernel"; exit 1; }
    install -m 0644 "$found" "$root/lib/modules/$module.ko"
done
printf 'taphouse test guest\n' >"$root/www/index.html"
chmod 0644 "$root/www/index.html"
# /cgi-bin/disk: the first disk's first sector, as the disk holds it (the guest's cache dropped
# first); ?write=WORD writes WORD there and syncs it. For tests of disks that move. ?dev=vdb (and
# ?dev=vdb&write=WORD) does the same on another virtio disk, for tests of disks hot-added.
mkdir -p "$root/www/cgi-bin"
cat >"$root/www/cgi-bin/disk" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
dev=vda
query=$QUERY_STRING
case "$query" in
    dev=*)
        dev=${query#dev=}
        dev=${dev%%&*}
        query=${query#dev=$dev}
        query=${query#&} ;;
esac
case "$dev" in
    vd[a-z]) ;;
    *) echo "no such disk $dev"; exit 0 ;;
esac
[ -b /dev/$dev ] || { echo "no /dev/$dev"; exit 0; }
case "$query" in
    write=*)
        printf '%s\n' "${query#write=}" | dd of=/dev/$dev bs=512 count=1 conv=sync,fsync 2>/dev/null
        echo "written" ;;
    *)
        sync
        echo 3 >/proc/sys/vm/drop_caches
        dd if=/dev/$dev bs=512 count=1 2>/dev/null | head -n 1 ;;
esac
CGI
chmod 0755 "$root/www/cgi-bin/disk"

# The guest's /init. Kept in this file so the stamp's script hash covers it.
cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console, so the kernel started us without one.
exec </dev/console >/dev/console 2>&1

fail() {
    echo "GUEST-ERROR \$*"
    while :; do sleep 3600; done
}

for module in ${modules[*]}; do
    insmod /lib/modules/\$module.ko || echo "insmod \$module failed"
done

ip_cidr= gw= mac= poweroff= shell= hotplug=
for word in \$(cat /proc/cmdline); do
    case \$word in
        guest.hotplug=*) hotplug="\$hotplug \${word#guest.hotplug=}" ;;
        guest.ip=*) ip_cidr=\${word#guest.ip=} ;;
        guest.gw=*) gw=\${word#guest.gw=} ;;
        guest.mac=*) mac=\$(echo "\${word#guest.mac=}" | tr A-F a-f) ;;
        guest.poweroff=*) poweroff=\${word#guest.poweroff=} ;;
        guest.shell=*) shell=\${word#guest.shell=} ;;
    esac
done

if [ -n "\$poweroff" ]; then
    (sleep "\$poweroff"; echo "GUEST-POWEROFF"; poweroff -f) &
fi

# guest.shell=1: a shell on the console once set up, for console tests (no NIC needed).
if [ -z "\$ip_cidr" ] && [ -n "\$shell" ]; then
    echo "GUEST-SHELL"
    while :; do sh; done
fi
[ -n "\$ip_cidr" ] || fail "no guest.ip=ADDR/PREFIX on the kernel command line"

# virtio_net registers its NIC as it probes; allow a few seconds under TCG.
nic=
tries=0
while [ -z "\$nic" ]; do
    if [ -n "\$mac" ]; then
        for dev in /sys/class/net/*; do
            [ "\$(cat "\$dev/address")" = "\$mac" ] && nic=\${dev##*/}
        done
    elif [ -e /sys/class/net/eth0 ]; then
        nic=eth0
    fi
    [ -n "\$nic" ] && break
    tries=\$((tries + 1))
    [ \$tries -le 100 ] || fail "no NIC \${mac:-eth0}: \$(ls /sys/class/net | tr '\n' ' ')"
    usleep 100000
done

ip link set lo up
ip link set "\$nic" up || fail "ip link set \$nic up"
ip addr add "\$ip_cidr" dev "\$nic" || fail "ip addr add \$ip_cidr dev \$nic"
if [ -n "\$gw" ]; then
    ip route add default via "\$gw" || fail "ip route add default via \$gw"
fi
httpd -p 80 -h /www || fail "httpd"

echo "GUEST-READY ip=\$ip_cidr mac=\$(cat /sys/class/net/\$nic/address) nic=\$nic"

# guest.hotplug=MAC,ADDR/PREFIX: the NIC with that MAC is configured whenever it is there (at
# boot, or hot-added later), and said so; its going is said too.
for entry in \$hotplug; do
    (
        hmac=\$(echo "\${entry%%,*}" | tr A-F a-f)
        hip=\${entry#*,}
        up=
        while :; do
            dev=
            for path in /sys/class/net/*; do
                [ "\$(cat "\$path/address" 2>/dev/null)" = "\$hmac" ] && dev=\${path##*/}
            done
            if [ -n "\$dev" ] && [ -z "\$up" ]; then
                ip link set "\$dev" up && ip addr add "\$hip" dev "\$dev" &&
                    echo "GUEST-HOTPLUG nic=\$dev mac=\$hmac ip=\$hip" && up=\$dev
            elif [ -z "\$dev" ] && [ -n "\$up" ]; then
                echo "GUEST-UNPLUG nic=\$up mac=\$hmac"
                up=
            fi
            usleep 200000
        done
    ) &
done
if [ -n "\$shell" ]; then
    echo "GUEST-SHELL"
    while :; do sh; done
fi
while :; do sleep 3600; done
EOF
chmod 0755 "$root/init"

# Reproducible: same modes, owners, mtimes and inode numbers, sorted names, no gzip timestamp.
chmod 0755 "$root" "$root"/{bin,dev,lib,lib/modules,proc,sys,tmp,www}
find "$root" -exec touch -h -d "@$epoch" {} +
bb="$tmp/busybox/bin/busybox"
(cd "$root" && find . -mindepth 1 | sed 's|^\./||' | sort |
    "$bb" cpio -o -H newc -R 0:0 --ignore-devno --renumber-inodes) | gzip -n -9 >"$out/.initrd.gz.new"
cp "$vmlinuz" "$out/.vmlinuz.new"
# The host side has no ping: tests use this busybox's, from inside their namespace.
install -m 0755 "$bb" "$out/.busybox.new"
mv -f "$out/.busybox.new" "$out/busybox"
mv -f "$out/.vmlinuz.new" "$out/vmlinuz"
mv -f "$out/.initrd.gz.new" "$out/initrd.gz"
stamp >"$out/stamp"
log "built $kernel_package $kernel_version, busybox-static $busybox_version"
finish
