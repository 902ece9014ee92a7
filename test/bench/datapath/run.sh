#!/usr/bin/env bash
# run.sh NAME [REP] [RESULTS_DIR]
#
# One complete, self-cleaning measurement of candidate NAME:
#   fresh topology (topo.sh up) -> fw_up (forwarders/NAME.sh) -> wait until ctr1 can ping
#   ctr2 -> measure.sh -> fw_down -> topology down.
# Appends one JSON line to RESULTS_DIR/runs.jsonl (default $BN_STATE/results/adhoc), also
# when the run fails (then with the stage it failed at and the telling log line), and keeps
# raw outputs and the forwarders' logs under RESULTS_DIR/raw/NAME/repREP/.
#
# A forwarder file defines fw_up and fw_down and may set FW_DESC, FW_KERNEL=1 (no process
# of its own: no CPU/RSS figures) and FW_ACCOUNT_NAMES (which of its processes are the
# data path). It may use, from lib/common.sh:
#   namespaces NS_NODE1 NS_NODE2 NS_CTR1 NS_CTR2, underlay UL_IF NODE1_IP NODE2_IP,
#   CTR1_NET CTR2_NET CTR1_IP CTR2_IP GW1_IP GW2_IP, TUN1_IP TUN2_IP, FW_PORT,
#   FW_WORKDIR (scratch dir for configs/logs), BENCH_DIR, TUNCTL_ROOT,
#   helpers fw_spawn NS LOGNAME cmd... (background process, PID registered for
#   accounting and cleanup), wait_link NS IF [secs], nsx NS cmd...
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"

NAME=${1:?usage: run.sh NAME [REP] [RESULTS_DIR]}
REP=${2:-1}
RESULTS_DIR=${3:-$BN_STATE/results/adhoc}
FW_FILE=$HERE/forwarders/$NAME.sh
[ -f "$FW_FILE" ] || die "no forwarder file $FW_FILE"
[ "$(id -u)" = 0 ] || die "must run as root (netns, tun)"
[ -f "$DATAPATH_JS/summarize.js" ] || die "$DATAPATH_JS/summarize.js missing: run npm run build"
DURATION=${DURATION:-10}
FW_MAX_S=${FW_MAX_S:-$((8 * (DURATION + 10) + 120))}   # watchdog: forwarders are killed after this
CONNECT_TIMEOUT_S=${CONNECT_TIMEOUT_S:-30}

export FW_NAME=$NAME
export FW_WORKDIR=$BN_STATE/work/$NAME
RUN_DIR=$RESULTS_DIR/raw/$NAME/rep$REP
rm -rf "$FW_WORKDIR" "$RUN_DIR"
mkdir -p "$FW_WORKDIR" "$RUN_DIR"
: >"$FW_WORKDIR/pids"
: >"$FW_WORKDIR/pids.desc"

FW_KERNEL=0
FW_DESC=
FW_ACCOUNT_NAMES=
# shellcheck disable=SC1090
. "$FW_FILE"
export FW_ACCOUNT_NAMES

watchdog_pid=
STAGE=setup
cleanup() {
  local rc=$?
  set +e
  if [ "$STAGE" != reported ]; then
    log "[$NAME rep $REP] FAILED at stage '$STAGE' (rc=$rc)"
    fw_dead_names >"$RUN_DIR/dead.txt"
    tail -n 5 "$FW_WORKDIR"/*.log >&2 2>/dev/null
  fi
  [ -n "$watchdog_pid" ] && kill -TERM "$watchdog_pid" 2>/dev/null
  if declare -F fw_down >/dev/null; then fw_down >>"$FW_WORKDIR/fw_down.log" 2>&1; fi
  kill_pidfile "$FW_WORKDIR/pids"
  "$HERE/topo.sh" down
  # keep the forwarders' logs next to the raw results
  cp "$FW_WORKDIR"/*.log "$RUN_DIR/" 2>/dev/null
  if [ "$STAGE" != reported ]; then
    node "$DATAPATH_JS/summarize.js" --failed "$STAGE" --rc "$rc" "$RUN_DIR" "$NAME" "$REP" >>"$RESULTS_DIR/runs.jsonl" ||
      printf '{"fw":"%s","rep":%s,"failed":true,"errors":["failed at stage %s (rc=%s)"]}\n' \
        "$NAME" "$REP" "$STAGE" "$rc" >>"$RESULTS_DIR/runs.jsonl"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

STAGE=topology
"$HERE/topo.sh" up
log "[$NAME rep $REP] fw_up: $FW_DESC"
echo "$FW_DESC" >"$RUN_DIR/desc.txt"
STAGE=fw_up
fw_up
[ "$FW_KERNEL" = 1 ] && touch "$RUN_DIR/KERNEL_FW"
cp "$FW_WORKDIR/pids.desc" "$RUN_DIR/"

# Watchdog: bounds the lifetime of the forwarder processes even if this script hangs.
# Kills only the PIDs registered by fw_spawn.
(
  trap 'kill $sp 2>/dev/null; exit 0' TERM
  sleep "$FW_MAX_S" & sp=$!
  wait $sp
  log "watchdog: $FW_MAX_S s elapsed, killing forwarder pids"
  for p in $(cat "$FW_WORKDIR/pids"); do kill -TERM "$p" 2>/dev/null; done
) &
watchdog_pid=$!

# Wait for the tunnel to carry traffic (handshakes, route installation...).
STAGE=connectivity
ok=0
for ((i = 0; i < CONNECT_TIMEOUT_S * 2; i++)); do
  if nsx "$NS_CTR1" ping -q -c 1 -W 1 "$CTR2_IP" >/dev/null 2>&1; then ok=1; break; fi
  fw_pids_alive || break
  sleep 0.5
done
[ $ok = 1 ] || exit 1
# warm-up (ARP/neighbour, handshakes) - not recorded
nsx "$NS_CTR1" ping -q -c 5 -i 0.1 -W 1 "$CTR2_IP" >/dev/null 2>&1 || true

log "[$NAME rep $REP] measuring -> $RUN_DIR"
STAGE=measure
"$HERE/measure.sh" "$RUN_DIR"
fw_pids_alive || fw_dead_names >"$RUN_DIR/FW_DIED"
STAGE=summarize
line=$(node "$DATAPATH_JS/summarize.js" "$RUN_DIR" "$NAME" "$REP")
echo "$line" >>"$RESULTS_DIR/runs.jsonl"
STAGE=reported
echo "$line"
