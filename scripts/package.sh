#!/usr/bin/env bash
# Builds the Debian package: taphouse_<version>_amd64.deb, from a build linked with
# --static-swift-stdlib (the binary needs no Swift runtime on the node; Lua stays Debian's
# liblua5.4-0).
#   scripts/package.sh [--revision N] [--hooks DIR] [--output DIR]
#     --revision N   the Debian revision: <version>-N (default 1); a rebuild of the same version
#                    with other built-in hooks upgrades over the one before
#     --hooks DIR    the built-in hooks shipped (default hooks/ of this tree)
#     --output DIR   where the .deb goes (default .build-package/)
# Prints the path of the .deb on its last line.
#
# The layout (docs/packaging.md): /usr/bin/taphouse; built-in hooks in /usr/lib/taphouse/hooks;
# Lua modules and LuaLS meta files in /usr/share/taphouse/lua; /etc/taphouse/hooks for site hooks
# (its README the one conffile); the systemd unit; man pages (taphouse(1), one a subcommand, and
# taphouse-hooks(7) from docs/hooks.md); bash, zsh and fish completions; docs and examples in
# /usr/share/doc/taphouse.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# pandoc writes taphouse-hooks(7) from docs/hooks.md.
need_packages pandoc

revision=1 hooks=hooks output=.build-package
while (($#)); do
    case $1 in
    --revision) revision=$2; shift ;;
    --hooks) hooks=$2; shift ;;
    --output) output=$2; shift ;;
    *) echo "usage: scripts/package.sh [--revision N] [--hooks DIR] [--output DIR]" >&2; exit 2 ;;
    esac
    shift
done
[[ $revision =~ ^[0-9]+$ ]] || { echo "package: --revision $revision is not a number" >&2; exit 2; }
[[ -d $hooks/network ]] || { echo "package: --hooks $hooks has no network/ folder" >&2; exit 2; }

# Release only: a debug build does not link with --static-swift-stdlib (the static Foundation's
# references into its ICU are left for the release build's dead stripping to remove).
scratch=.build-package
build=(swift build -c release --static-swift-stdlib --scratch-path "$scratch")
"${build[@]}" --product taphouse >&2
# generate-manual is swift-argument-parser's tool behind its generate-manual plugin; run here on
# the binary just built (the plugin would build every product of the package again first).
"${build[@]}" --product generate-manual >&2
bin=$("${build[@]}" --show-bin-path)

version=$("$bin/taphouse" --version | sed -n '1s/^taphouse //p')
[[ $version =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || { echo "package: no version from taphouse --version" >&2; exit 1; }
debversion=$version-$revision
root=$scratch/deb/taphouse_${debversion}_amd64
rm -rf "$root"
mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/taphouse" "$root/usr/share/taphouse" \
    "$root/etc/taphouse/hooks" "$root/lib/systemd/system" "$root/usr/share/man/man1" "$root/usr/share/man/man7" \
    "$root/usr/share/doc/taphouse" "$root/usr/share/bash-completion/completions" \
    "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d"

# The binary, without its debug sections (a static Swift runtime makes them most of its size).
install -m 0755 "$bin/taphouse" "$root/usr/bin/taphouse"
strip --strip-debug "$root/usr/bin/taphouse"

# Hooks and Lua modules, read-only to all but root.
cp -R "$hooks" "$root/usr/lib/taphouse/hooks"
cp -R lua "$root/usr/share/taphouse/lua"
cat >"$root/etc/taphouse/hooks/README" <<'EOF'
Site hooks for taphouse (taphouse-hooks(7)).

A file here serves in place of the built-in one of the same name in /usr/lib/taphouse/hooks:
  network/<mode>.lua   a NIC mode's up and down (bridged, routed, openvswitch, ext)
  console.lua          the console policy
  instance.lua         the lifecycle hook
  lua/                 modules the hooks require
Check them before they serve: taphouse hooks check; taphouse hooks test.
The package leaves what you put here alone, on upgrade, remove and purge.
EOF
install -m 0644 contrib/systemd/taphouse.service "$root/lib/systemd/system/taphouse.service"

# Man pages: the command's, one a subcommand (but the hidden worker and ArgumentParser's help),
# and the hooks guide.
pages=$scratch/man
rm -rf "$pages" && mkdir -p "$pages"
"$bin/generate-manual" "$root/usr/bin/taphouse" --multi-page --date "$(date -u +%F)" \
    --authors "taphouse developers" --output-directory "$pages" >&2
rm -f "$pages/taphouse.help.1" "$pages/taphouse.hooks.worker.1"
pandoc -s -f gfm -t man -M title=TAPHOUSE-HOOKS -M section=7 -M header="taphouse manual" \
    -M footer="taphouse $version" -M date="$(date -u +%F)" docs/hooks.md -o "$pages/taphouse-hooks.7"
for page in "$pages"/*.1; do gzip -9n <"$page" >"$root/usr/share/man/man1/$(basename "$page").gz"; done
gzip -9n <"$pages/taphouse-hooks.7" >"$root/usr/share/man/man7/taphouse-hooks.7.gz"

# Completions, as the shells look for them.
"$bin/taphouse" --generate-completion-script bash >"$root/usr/share/bash-completion/completions/taphouse"
"$bin/taphouse" --generate-completion-script zsh >"$root/usr/share/zsh/vendor-completions/_taphouse"
"$bin/taphouse" --generate-completion-script fish >"$root/usr/share/fish/vendor_completions.d/taphouse.fish"

# Documentation and examples.
cp README.md "$root/usr/share/doc/taphouse/"
cp -R docs examples "$root/usr/share/doc/taphouse/"
printf 'taphouse (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- taphouse developers <taphouse@localhost>  %s\n' \
    "$debversion" "$(git rev-parse --short HEAD 2>/dev/null || echo "a source tree")" "$(date -uR)" |
    gzip -9n >"$root/usr/share/doc/taphouse/changelog.Debian.gz"

find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f ! -path "$root/usr/bin/*" ! -path "$root/DEBIAN/*" -exec chmod 0644 {} +

# Depends: the package of each shared library the binary links (the static Swift runtime leaves
# libc's and Lua's), then what it runs.
libraries=()
while read -r library; do
    # (No reader that stops early in a pipe: under pipefail the writer's SIGPIPE fails the script.)
    file=$(ldconfig -p | awk -v l="$library" '$1 == l && /x86-64/ && !found { print $NF; found = 1 }')
    [[ -n $file ]] || { echo "package: $library (linked by taphouse) is not on this system" >&2; exit 1; }
    owner=$(dpkg -S "$(realpath "$file")" 2>/dev/null | sed -n '1s/:.*//p') || owner=""
    [[ -n $owner ]] || owner=$(dpkg -S "$file" | sed -n '1s/:.*//p')
    libraries+=("$owner")
done < <(readelf -d "$root/usr/bin/taphouse" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
depends=$(printf '%s\n' "${libraries[@]}" qemu-system-x86 iproute2 | sort -u | paste -sd, | sed 's/,/, /g')

cat >"$root/DEBIAN/control" <<EOF
Package: taphouse
Version: $debversion
Architecture: amd64
Maintainer: taphouse developers <taphouse@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: openvswitch-switch
Section: admin
Priority: optional
Homepage: https://github.com/taphouse/taphouse
Description: KVM node agent with its site policy in Lua 5.4 hooks
 taphouse starts, stops, reboots, lists, inspects, migrates and hands out
 consoles for qemu/KVM instances on one host, as Ganeti's KVM driver does,
 and serves them through a node daemon (taphouse serve). NIC configuration,
 per-mode network up and down, console policy and lifecycle hooks are Lua 5.4
 hooks run in a sandbox with a time and memory budget.
EOF
echo /etc/taphouse/hooks/README >"$root/DEBIAN/conffiles"
install -m 0755 contrib/debian/postinst contrib/debian/prerm contrib/debian/postrm "$root/DEBIAN/"

mkdir -p "$output"
deb=$output/taphouse_${debversion}_amd64.deb
dpkg-deb --build --root-owner-group -Zxz "$root" "$deb" >&2
echo "$deb"
