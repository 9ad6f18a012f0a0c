#!/usr/bin/env bash
# Runs the same load scenarios against Debian's Pushpin 1.36 and against ours, one server at
# a time on this machine, and appends every result as a JSON line to $OUT.
# usage: tools/loadgen/compare.sh [OUT.jsonl]   (after `dotnet build -c Release Pushpin.slnx`)
# Scale with env vars: PROXY_CONN, PROXY_SECS, PROXY_WARMUP (s of unmeasured load first: JIT tiering), HOLDS, HOLD_WARMUP (holds opened and closed first), FANOUT_SUBS, FANOUT_MSGS, ZMQ_MSGS, MANY_CHANS,
# LP_CLIENTS, LP_SECS, WOH_CLIENTS, WOH_SECS, WSRAW_CLIENTS, WSRAW_SECS, ROUNDS (fan-out/many-channel repeats, default 3); ONLY="wsraw wsoverhttp" runs just those. Every result carries the machine's 1-minute load average (load_avg_1m).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$root/artifacts/bin"
out=${1:-$root/docs/bench-results/$(date -u +%Y%m%d-%H%M).jsonl}
mkdir -p "$(dirname "$out")"
work=$(mktemp -d)
backend_port=18080
# Our server's client port and port offset (OURS_PORT, OURS_OFFSET: others may use the defaults here).
ours_port=${OURS_PORT:-17999}
ours_offset=${OURS_OFFSET:-2000}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }

wait_http() { for _ in $(seq 1 100); do curl -s -o /dev/null --max-time 1 "$1" && return 0; sleep 0.2; done; echo "not ready: $1" >&2; return 1; }

run_scenarios() { # name client publish procs zmq-push-spec server-pid connmgr-proc
  # --server-pid: count only the runner's own daemons (others may run the same programs here).
  local common=(--name "$1" --client "$2" --publish "$3" --procs "$4" --server-pid "$6" --json "$out")
  uptime
  want proxy && "$bin/pushpin-loadgen" proxy "${common[@]}" -c "${PROXY_CONN:-50}" -d "${PROXY_SECS:-10}" --warmup "${PROXY_WARMUP:-10}"
  want hold && "$bin/pushpin-loadgen" hold "${common[@]}" -c "${HOLDS:-5000}" --warmup-holds "${HOLD_WARMUP:-1000}"
  # Unmeasured first rounds (JIT tiering on ours; the same for both): fan-out over HTTP and ZeroMQ, many-channel.
  if want fanout || want manychan; then
    local warm=(--name "$1-warmup" --client "$2" --publish "$3" --procs "$4" --server-pid "$6" --json "$work/warmup.jsonl")
    for _ in 1 2; do
      "$bin/pushpin-loadgen" fanout "${warm[@]}" -c 500 -m 50 > /dev/null
      "$bin/pushpin-loadgen" fanout "${warm[@]}" -c 500 -m 400 --zmq "$5" --burst 200 > /dev/null
      "$bin/pushpin-loadgen" manychan "${warm[@]}" -c 1000 -m 1 > /dev/null
    done
  fi
  if want longpoll; then
    "$bin/pushpin-loadgen" longpoll --name "$1-warmup" --client "$2" --publish "$3" --procs "$4" --server-pid "$6" --json "$work/warmup.jsonl" -c "${LP_CLIENTS:-200}" -d 5 > /dev/null
  fi
  # Short runs scatter: each delivery scenario runs ROUNDS times (report the median).
  for _ in $(seq 1 "${ROUNDS:-3}"); do
    want fanout && "$bin/pushpin-loadgen" fanout "${common[@]}" -c "${FANOUT_SUBS:-1000}" -m "${FANOUT_MSGS:-50}"
    want fanout && "$bin/pushpin-loadgen" fanout "${common[@]}" -c "${FANOUT_SUBS:-1000}" -m "${ZMQ_MSGS:-1000}" --zmq "$5" --burst 200
    want manychan && "$bin/pushpin-loadgen" manychan "${common[@]}" -c "${MANY_CHANS:-2000}" -m 1
  done
  want longpoll && "$bin/pushpin-loadgen" longpoll "${common[@]}" -c "${LP_CLIENTS:-200}" -d "${LP_SECS:-10}"
  want wsoverhttp && "$bin/pushpin-loadgen" wsoverhttp "${common[@]}" -c "${WOH_CLIENTS:-50}" -d "${WOH_SECS:-10}"
  # idle: connmgr/condure only (procs $7), fresh counts one after another, sources spread past the port range.
  if want idle; then
    for n in ${IDLE_COUNTS:-1000 5000 10000}; do
      "$bin/pushpin-loadgen" idle --name "$1" --client "$2" --publish "$3" --procs "$7" --server-pid "$6" --json "$out" -c "$n" --mode "${IDLE_MODE:-partial}" --sources 8
    done
  fi
  want wsraw && "$bin/pushpin-loadgen" wsraw "${common[@]}" -c "${WSRAW_CLIENTS:-50}" -d "${WSRAW_SECS:-10}"
  uptime
}

"$bin/pushpin-loadgen" backend --backend-port $backend_port > "$work/backend.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$backend_port/hello"
want proxy && "$bin/pushpin-loadgen" proxy --name backend-direct --client 127.0.0.1:$backend_port --json "$out" -c "${PROXY_CONN:-50}" -d "${PROXY_SECS:-10}" --warmup "${PROXY_WARMUP:-10}"

if command -v pushpin >/dev/null; then
  mkdir -p "$work/up/run" "$work/up/log"
  printf '*,path_beg=/woh 127.0.0.1:%s,over_http\n* 127.0.0.1:%s\n' $backend_port $backend_port > "$work/up/routes"
  cat > "$work/up/pushpin.conf" <<CONF
[global]
include={libdir}/internal.conf
rundir=$work/up/run
port_offset=3000
[runner]
services=condure,zurl,pushpin-proxy,pushpin-handler
http_port=127.0.0.1:18999
logdir=$work/up/log
log_level=1
client_maxconn=50000
[proxy]
routesfile=routes
sig_key=changeme
zurl_out_specs=ipc://{rundir}/{ipc_prefix}zurl-in
zurl_out_stream_specs=ipc://{rundir}/{ipc_prefix}zurl-in-stream
zurl_in_specs=ipc://{rundir}/{ipc_prefix}zurl-out
[handler]
push_in_spec=tcp://127.0.0.1:5560
push_in_sub_specs=tcp://127.0.0.1:5562
push_in_http_addr=127.0.0.1
push_in_http_port=5561
command_spec=tcp://127.0.0.1:5563
stats_spec=ipc://{rundir}/{ipc_prefix}stats
message_rate=0
message_hwm=1000000
CONF
  pushpin --config "$work/up/pushpin.conf" --merge-output > "$work/up/out.log" 2>&1 &
  up=$!
  pids+=($up)
  wait_http "http://127.0.0.1:8561/"
  run_scenarios pushpin-1.36 127.0.0.1:18999 http://127.0.0.1:8561/publish/ condure,zurl,pushpin-proxy,pushpin-handler tcp://127.0.0.1:8560 $up condure
  kill $up; wait $up 2>/dev/null || true
fi

mkdir -p "$work/ours"
printf '*,path_beg=/woh 127.0.0.1:%s,over_http\n* 127.0.0.1:%s\n' $backend_port $backend_port > "$work/ours/routes"
cat > "$work/ours/pushpin.toml" <<CONF
[global]
rundir = "$work/ours/run"
port_offset = $ours_offset
[runner]
http_port = "127.0.0.1:$ours_port"
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
"$bin/pushpin-runner" --config "$work/ours/pushpin.toml" --merge-output > "$work/ours/out.log" 2>&1 &
ours=$!
pids+=($ours)
wait_http "http://127.0.0.1:$((5561 + ours_offset))/"
wait_http "http://127.0.0.1:$ours_port/hello"
run_scenarios ours 127.0.0.1:$ours_port http://127.0.0.1:$((5561 + ours_offset))/publish/ pushpin-connmgr,pushpin-proxy,pushpin-handler tcp://127.0.0.1:$((5560 + ours_offset)) $ours pushpin-connmgr
kill $ours; wait $ours 2>/dev/null || true
echo "results: $out"
python3 "$root/tools/loadgen/plot.py" "$out" || true
