#!/usr/bin/env bash
# API fuzzing of the node daemon with schemathesis (issue 15, point 4): every operation of the
# OpenAPI document the daemon serves (GET /v1/openapi.json) is called with generated requests,
# valid and invalid, and each answer is checked: no 5xx, status code, content type, headers and
# body as the document says, and the node unchanged by every refused request.
#
#   scripts/apifuzz.sh [--examples N] [--seed S] [--max-time S] [--report-dir DIR] [--strict]
#                      [-- ST-RUN-ARGS...]
#
#   --examples N    schemathesis' most test cases per operation in each phase (default 50:
#                   about a minute and a half on two CPUs), and N/5 stateful scenarios
#   --seed S        the seed, to replay a run (schemathesis prints the one it used)
#   --max-time S    a time budget for the whole run (schemathesis' --max-time)
#   --report-dir D  also write schemathesis' JUnit and NDJSON reports there
#   --strict        also schemathesis' positive_data_acceptance check (see Checks)
#   -- ...          anything else for `st run`
#
# Needs root (a network namespace). TAPHOUSE_BIN=PATH uses that binary instead of building one.
# schemathesis is installed, pinned with its dependencies (scripts/apifuzz/requirements.txt),
# in a venv at .build-apifuzz/venv, from PyPI. Exits non-zero on any failure, after
# schemathesis' report; the last line reads `apifuzz: N operations, N calls (...), N s: ...`.
#
# The node. A throwaway network namespace (taphouse-apifuzz-<pid>, a bridge br0 in it), a fresh
# state directory and an empty site hooks folder; the namespace, every process in it and the
# temporary folder go at the end, whatever happens. The daemon listens on TCP inside the
# namespace, with TLS (a self-signed certificate made here) and a bearer token, and
# schemathesis runs inside the namespace too, so that 127.0.0.1 is the namespace's loopback and
# no host interface is touched. The 401 path is checked here first with curl (no token, a wrong
# token): the document declares no security scheme, so schemathesis would not test it. One
# instance runs throughout (paused, TCG where KVM cannot run it, the test guest, a bridged NIC
# on br0), so that the instance routes also meet an instance that exists.
#
# What is aimed where (scripts/apifuzz/hooks.py says more). The read-only instance operations
# get the running instance's name for half their cases. The changing ones (stop, reboot,
# cleanup, accept, migrate, finalize) get it only with a body the document refuses, and then
# with async=true: a refusal must leave the node unchanged, and one the daemon accepts all the
# same is reported (negative_data_rejection) without waiting out a stop. With a valid body they
# only ever name instances that do not exist: there, a stop *is* a change, not a refusal.
# Wherever a call ended or changed the running instance, it is started again (paused) and the
# run says so. Nothing is excluded by operation; GET /v1/events (a Server-Sent Events stream
# that never ends) is read for at most 2 s or 2 events a call, and called 3 times.
#
# Checks: schemathesis' `all` (not_a_server_error, status_code_conformance,
# content_type_conformance, response_headers_conformance, response_schema_conformance,
# negative_data_rejection, missing_required_header, unsupported_method, use_after_free,
# ensure_resource_availability, ...) but positive_data_acceptance, which wants every request
# the document allows answered 2xx: the document gives the instance spec as any object and
# names, addresses and qemu binaries as any string, so it fails on `{}` as a spec until the
# document describes those (--strict runs it). And node_unchanged_by_refusal (hooks.py): the
# node (links, addresses, rules and routes of every table, processes in the namespace, the
# state directory's files, the instances as the daemon lists them) snapshot before each call
# and compared after each 4xx, or after a 202 whose operation ended in a 4xx.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

schemathesis_version=4.32.5
examples=50
seed=""
max_time=""
report_dir=""
checks=(--checks all --exclude-checks positive_data_acceptance)
extra=()
usage() {
    echo "usage: scripts/apifuzz.sh [--examples N] [--seed S] [--max-time S] [--report-dir DIR] [--strict] [-- ST-RUN-ARGS...]" >&2
    exit 2
}
while (($#)); do
    case $1 in
    --examples) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; examples=$2; shift 2 ;;
    --seed) [[ ${2:-} =~ ^[0-9]+$ ]] || usage; seed=$2; shift 2 ;;
    --max-time) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; max_time=$2; shift 2 ;;
    --report-dir) [[ -n ${2:-} ]] || usage; report_dir=$(realpath -m "$2"); shift 2 ;;
    --strict) checks=(--checks all); shift ;;
    --) shift; extra=("$@"); break ;;
    *) usage ;;
    esac
done

source scripts/setup.sh
if [ "$(id -u)" -ne 0 ]; then
    echo "apifuzz: needs root (a network namespace)" >&2
    exit 1
fi

# schemathesis, pinned with every dependency (scripts/apifuzz/requirements.txt), in a venv.
venv=.build-apifuzz/venv
if ! "$venv/bin/st" --version 2>/dev/null | grep -qx "st, version $schemathesis_version"; then
    echo "apifuzz: installing schemathesis $schemathesis_version in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/apifuzz/requirements.txt
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

ns=taphouse-apifuzz-$$
work=$(mktemp -d /tmp/taphouse-apifuzz.XXXXXX)
cleanup() {
    local status=$?
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

state=$work/state
site=$work/site
mkdir -p "$state" "$site"

# The daemon finds its built-in hooks and Lua library from its executable (a package's
# <prefix>/lib/taphouse/hooks and <prefix>/share/taphouse/lua, or the source tree for
# .build/<triple>/<config>/taphouse). A binary from elsewhere gets a private prefix: a hard link
# (a copy across file systems) with those two pointing here.
bindir=$(dirname "$(realpath "$taphouse")")
if [[ ! -d $bindir/../lib/taphouse/hooks/network && ! -d $bindir/../../../hooks/network ]]; then
    mkdir -p "$work/prefix/bin" "$work/prefix/lib/taphouse" "$work/prefix/share/taphouse"
    ln "$taphouse" "$work/prefix/bin/taphouse" 2>/dev/null || cp "$taphouse" "$work/prefix/bin/taphouse"
    ln -s "$repo/hooks" "$work/prefix/lib/taphouse/hooks"
    ln -s "$repo/lua" "$work/prefix/share/taphouse/lua"
    taphouse=$work/prefix/bin/taphouse
fi

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" link set br0 up

# TLS and the bearer token of the TCP listener.
port=8443
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -days 2 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
(umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$work/token")
token=$(cat "$work/token")
base=https://127.0.0.1:$port

ip netns exec "$ns" "$taphouse" serve --state-dir "$state" --hooks-dir "$site" \
    --listen "127.0.0.1:$port" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --token-file "$work/token" \
    >"$work/daemon.log" 2>&1 &
daemon=$!
disown "$daemon" # killed with the namespace at the end, without bash's job notice
api() { ip netns exec "$ns" curl -sS --cacert "$work/cert.pem" -H "Authorization: Bearer $token" "$@"; }
for _ in $(seq 100); do
    api -o /dev/null "$base/v1/node" 2>/dev/null && break
    kill -0 "$daemon" 2>/dev/null || { cat "$work/daemon.log" >&2; echo "apifuzz: the daemon did not start" >&2; exit 1; }
    sleep 0.1
done

# The known instance: paused (the guest never needs to run), TCG where KVM cannot run it.
instance=apifuzz1.example.org
kvm_flag=""
if [[ -e /sys/module/kvm_pvm || ! (-e /sys/module/kvm_intel || -e /sys/module/kvm_amd) ]]; then
    kvm_flag=', "kvm_flag": "disabled"'
fi
cat >"$work/spec.json" <<JSON
{"name": "$instance", "uuid": "5b0c6f0e-7d6b-4c53-9f3e-3a1e2b4c5d6e", "tags": ["apifuzz"],
 "hvparams": {"kvm_path": "/usr/bin/qemu-system-x86_64", "kernel_path": "$kernel", "initrd_path": "$initrd",
              "kernel_args": "guest.ip=10.99.0.2/24"$kvm_flag},
 "beparams": {"maxmem": 128, "vcpus": 1}, "disks": [],
 "nics": [{"mac": "52:54:00:ab:cd:01", "uuid": "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
           "nicparams": {"mode": "bridged", "link": "br0"}}]}
JSON
status=$(api -o "$work/started.json" -w '%{http_code}' -X POST --data-binary @"$work/spec.json" "$base/v1/instances?paused=true")
if [[ $status != 201 ]]; then
    cat "$work/started.json" >&2
    echo "apifuzz: could not start $instance ($status)" >&2
    exit 1
fi
echo "apifuzz: daemon $daemon in $ns, instance $instance paused" >&2

# The 401 path: no token and a wrong token are refused, as problem documents.
for auth in "" "Authorization: Bearer wrong-$token"; do
    code=$(ip netns exec "$ns" curl -sS --cacert "$work/cert.pem" ${auth:+-H "$auth"} -o "$work/401.json" \
        -w '%{http_code} %{content_type}' "$base/v1/instances")
    if [[ $code != "401 application/problem+json" ]] || ! grep -q '"code":"unauthorized"' "$work/401.json"; then
        echo "apifuzz: FAIL: a request ${auth:+with a wrong token}${auth:-without a token} was answered $code: $(cat "$work/401.json")" >&2
        exit 1
    fi
done

# schemathesis' settings: the examples per operation, and a fifth of that (at least 2) of the
# stateful phase's scenarios (each up to 6 calls, following links it infers from the answers).
cat >"$work/schemathesis.toml" <<TOML
# Where schemathesis keeps what it found, to try it again first in the next run.
[cache]
directory = "$repo/.build-apifuzz/cache"

[generation]
max-examples = $examples

[phases.stateful]
max-steps = 6

[phases.stateful.generation]
max-examples = $((examples / 5 > 2 ? examples / 5 : 2))

# GET /v1/events is a Server-Sent Events stream that does not end: each answer is read for at
# most 2 s or 2 events, and the operation called a few times only (each call costs its 2 s).
[[operations]]
include-operation-id = "getEvents"
request-timeout = 2
max-stream-events = 2
generation.max-examples = 3
TOML

# The fuzz, serial (one worker: each call's node snapshot must be its own).
args=(run "$base/v1/openapi.json" --workers 1 "${checks[@]}"
    --header "Authorization: Bearer $token" --tls-verify "$work/cert.pem" --no-color
    --request-timeout 60 --generation-database none)
[[ -n $seed ]] && args+=(--seed "$seed")
[[ -n $max_time ]] && args+=(--max-time "$max_time")
if [[ -n $report_dir ]]; then
    mkdir -p "$report_dir"
    args+=(--report junit,ndjson --report-dir "$report_dir")
fi
started=$(date +%s)
# In the background, waited for: a SIGINT or SIGTERM then ends the script at once (its trap
# kills schemathesis with everything else in the namespace).
(
    ip netns exec "$ns" env \
        SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$repo/scripts/apifuzz" PYTHONDONTWRITEBYTECODE=1 \
        APIFUZZ_STATE_DIR="$state" APIFUZZ_INSTANCE="$instance" APIFUZZ_SPEC="$work/spec.json" \
        APIFUZZ_BASE_URL="$base" APIFUZZ_TOKEN_FILE="$work/token" APIFUZZ_CA_FILE="$work/cert.pem" \
        APIFUZZ_DAEMON_PID="$daemon" APIFUZZ_COUNTS="$work/counts.json" \
        "$repo/$venv/bin/st" --config-file "$work/schemathesis.toml" "${args[@]}" "${extra[@]}" \
        2>&1 | tee "$work/st.log"
    exit "${PIPESTATUS[0]}"
) &
result=0
wait $! || result=$?
seconds=$(($(date +%s) - started))

# The daemon's log is kept (.build-apifuzz/daemon.log, and in the report folder).
cp "$work/daemon.log" .build-apifuzz/daemon.log
[[ -n $report_dir ]] && cp "$work/daemon.log" "$report_dir/daemon.log"
if ! kill -0 "$daemon" 2>/dev/null; then
    echo "apifuzz: FAIL: the daemon died (its log: .build-apifuzz/daemon.log); its last lines and the crash:" >&2
    grep -m 1 -B 3 -E 'Fatal error|Program crashed' "$work/daemon.log" | cut -c 1-400 >&2 || true
    grep -E ' at /.*/Sources/' "$work/daemon.log" | head -n 6 >&2 || true
    result=1
fi
operations=$(grep -oE '^ *Tested: *[0-9]+' "$work/st.log" | grep -oE '[0-9]+' | tail -1 || true)
count() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/counts.json" "$1" 2>/dev/null || echo "?"; }
echo "apifuzz: ${operations:-?} operations, $(count calls) calls ($(count refused) refused, each checked to leave the node unchanged; $(count aimed_at_instance) at the running instance), ${seconds} s: $([[ $result == 0 ]] && echo passed || echo FAILED)"
exit "$result"
