#!/usr/bin/env bash
# measure.sh RUN_DIR
#
# Runs the measurement suite against whatever currently connects ctr1 and ctr2 (topology
# and forwarder must already be up) and leaves raw outputs in RUN_DIR; lib/summarize.ts
# (dist/test/bench/datapath/summarize.js) turns them into one JSON line.
#
# Every traffic generator runs inside the ctr namespaces only, targets only $CTR2_IP, and
# is bounded by its own duration plus `timeout`.
#
# Warm-up first (WARMUP=0 skips it), not recorded: $WARMUP_TCP_S s of iperf3 TCP and
# $WARMUP_PINGS pings 2 ms apart, the same for every candidate. A forwarder on a JIT
# (tunctl runs on V8) compiles its hot path only after it has run it for a while; the
# figures below are its steady state. The README gives the cold figures too.
#
# Tests (fixed order; TESTS overrides):
#   ping         : ping -c $PING_COUNT -i $PING_INTERVAL ctr1 -> ctr2 (idle path, first)
#   tcp1 tcp2 tcp4 : iperf3 TCP, 1/2/4 streams, $DURATION s, ctr1 -> ctr2
#   tcp1r tcp2r tcp4r : the same with -R (ctr2 -> ctr1)
#   udp64        : iperf3 UDP -b 0 -l $UDP_LEN (last: a flood may leave queues full)
# Around each iperf3 run: CPU ticks (utime+stime, all threads) of the accounted forwarder
# processes (fw_accounted_pids) and the /proc/stat cpu line -> cpu.txt. At the end: VmHWM
# and VmRSS of each accounted process -> rss.txt.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

RUN_DIR=${1:?usage: measure.sh RUN_DIR}
mkdir -p "$RUN_DIR"
DURATION=${DURATION:-10}
PING_COUNT=${PING_COUNT:-200}
PING_INTERVAL=${PING_INTERVAL:-0.01}
UDP_LEN=${UDP_LEN:-64}
IPERF_PORT=${IPERF_PORT:-5201}
GAP=${GAP:-1}
TESTS=${TESTS:-"ping tcp1 tcp2 tcp4 tcp1r tcp2r tcp4r udp64"}
WARMUP=${WARMUP:-1}
WARMUP_TCP_S=${WARMUP_TCP_S:-3}
WARMUP_PINGS=${WARMUP_PINGS:-3000}

getconf CLK_TCK >"$RUN_DIR/clk_tck.txt"
ACCT_PIDS=$(fw_accounted_pids | tr '\n' ' ')
echo "$ACCT_PIDS" >"$RUN_DIR/accounted-pids.txt"

srv_pid=
cleanup_m() { [ -n "$srv_pid" ] && kill -TERM "$srv_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup_m EXIT

# snapshot LABEL: accounted forwarder utime/stime ticks + the machine-wide /proc/stat cpu line
snapshot() {
  local label=$1 p line ut=0 st=0 u s
  for p in $ACCT_PIDS; do
    line=$(cat "/proc/$p/stat" 2>/dev/null) || { echo "dead $p" >>"$RUN_DIR/cpu.txt"; continue; }
    line=${line##*) }                      # drop "pid (comm) "
    # fields after comm (1-based): state=1 ... utime=12 stime=13
    read -r u s < <(awk '{print $12, $13}' <<<"$line")
    ut=$((ut + u)); st=$((st + s))
  done
  echo "$label fw_ticks=$((ut + st)) fw_utime=$ut fw_stime=$st stat=$(head -1 /proc/stat | tr -s ' ' ',') t=$(date +%s.%N)" >>"$RUN_DIR/cpu.txt"
}

# peak_rss: "pid VmHWM_kB VmRSS_kB" per accounted process, read while it is still running
peak_rss() {
  local p hwm rss
  : >"$RUN_DIR/rss.txt"
  for p in $ACCT_PIDS; do
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
    [ -n "$hwm" ] && echo "$p $hwm $rss" >>"$RUN_DIR/rss.txt"
  done
}

start_server() {
  # not via the nsx function: `func &` would fork a subshell and $! would not be the
  # server's PID
  ip netns exec "$NS_CTR2" timeout $((DURATION * 12 + 120)) iperf3 -s -B "$CTR2_IP" -p "$IPERF_PORT" \
    >"$RUN_DIR/iperf3-server.log" 2>&1 &
  srv_pid=$!
  local i
  for ((i = 0; i < 50; i++)); do
    nsx "$NS_CTR2" ss -ltnH "sport = :$IPERF_PORT" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  die "iperf3 server did not start"
}

iperf() { # name args...
  local name=$1; shift
  snapshot "$name-start"
  nsx "$NS_CTR1" timeout $((DURATION + 30)) iperf3 -c "$CTR2_IP" -p "$IPERF_PORT" \
    -t "$DURATION" -J "$@" >"$RUN_DIR/$name.json" 2>"$RUN_DIR/$name.err" \
    || log "iperf3 $name exited with $? (see $RUN_DIR/$name.json)"
  snapshot "$name-end"
  sleep "$GAP"
}

: >"$RUN_DIR/cpu.txt"
start_server
if [ "$WARMUP" = 1 ]; then
  nsx "$NS_CTR1" timeout $((WARMUP_TCP_S + 30)) iperf3 -c "$CTR2_IP" -p "$IPERF_PORT" -t "$WARMUP_TCP_S" \
    >"$RUN_DIR/warmup-tcp.txt" 2>&1 || log "warm-up iperf3 exited with $?"
  nsx "$NS_CTR1" timeout 60 ping -q -c "$WARMUP_PINGS" -i 0.002 -W 1 "$CTR2_IP" \
    >"$RUN_DIR/warmup-ping.txt" 2>&1 || log "warm-up ping exited with $?"
  sleep "$GAP"
fi
for t in $TESTS; do
  fw_pids_alive || log "WARNING: a forwarder process died before test $t"
  case $t in
    ping)
      nsx "$NS_CTR1" timeout 60 ping -c "$PING_COUNT" -i "$PING_INTERVAL" -W 1 "$CTR2_IP" \
        >"$RUN_DIR/ping.txt" 2>&1 || log "ping exited with $?"
      sleep "$GAP" ;;
    tcp1) iperf tcp1 ;;
    tcp2) iperf tcp2 -P 2 ;;
    tcp4) iperf tcp4 -P 4 ;;
    tcp1r) iperf tcp1r -R ;;
    tcp2r) iperf tcp2r -R -P 2 ;;
    tcp4r) iperf tcp4r -R -P 4 ;;
    udp64) iperf udp64 -u -b 0 -l "$UDP_LEN" ;;
    *) die "unknown test $t" ;;
  esac
done
peak_rss
