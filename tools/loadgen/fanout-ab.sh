#!/usr/bin/env bash
# Fan-out before/after multi-id merging on one build: runs ours with PUSHPIN_FANOUT_MERGE=MERGE
# (0 = one zhttp packet per subscriber, 1 = merged) and measures fanout over HTTP and ZeroMQ.
# usage: tools/loadgen/fanout-ab.sh MERGE(0|1) OUT.jsonl   (env: SUBS, MSGS, ZMSGS)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd); bin=$root/artifacts/bin
merge=$1; out=$2
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 1; for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
wait_http() { for _ in $(seq 1 150); do curl -s -o /dev/null --max-time 1 "$1" && return 0; sleep 0.2; done; echo "not ready: $1" >&2; return 1; }
"$bin/pushpin-loadgen" backend --backend-port 18080 > "$work/backend.log" 2>&1 & pids+=($!)
wait_http http://127.0.0.1:18080/hello
mkdir -p "$work/ours"; echo "* 127.0.0.1:18080" > "$work/ours/routes"
cat > "$work/ours/pushpin.toml" <<CONF
[global]
rundir = "$work/ours/run"
port_offset = 2000
[runner]
http_port = "127.0.0.1:17999"
log_level = "1"
[proxy]
routesfile = "routes"
sig_key = "changeme"
[handler]
push_in_http_addr = "127.0.0.1"
push_in_http_port = 5561
message_rate = 0
message_hwm = 1000000
CONF
PUSHPIN_FANOUT_MERGE=$merge "$bin/pushpin-runner" --config "$work/ours/pushpin.toml" --merge-output > "$work/ours/out.log" 2>&1 & runner=$!; pids+=($runner)
wait_http http://127.0.0.1:7561/; wait_http http://127.0.0.1:17999/hello
c=(--name "ours-merge$merge" --client 127.0.0.1:17999 --publish http://127.0.0.1:7561/publish/ --procs pushpin-connmgr,pushpin-proxy,pushpin-handler --server-pid "$runner" --json "$out")
uptime
"$bin/pushpin-loadgen" fanout "${c[@]}" -c ${SUBS:-1000} -m ${MSGS:-50}
uptime
"$bin/pushpin-loadgen" fanout "${c[@]}" -c ${SUBS:-1000} -m ${ZMSGS:-1000} --zmq tcp://127.0.0.1:7560 --burst 200
uptime
