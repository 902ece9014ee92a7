#!/usr/bin/env bash
# bench.sh: the data-path benchmark (`npm run bench`, as root).
#
# Two hosts with a container each, all network namespaces on this machine (topo.sh; underlay
# veth MTU 1500). Every candidate in CANDIDATES connects the two containers: tunctl itself
# (controller + two agents, routes from the controller) and its variants, and the reference
# paths (forwarders/NAME.sh). Repetition r runs every candidate once, each in a fresh
# topology, in an order rotated by r; then the report (report-cli.js): medians with min–max
# per metric and candidate, tunctl's ratio to each other candidate, the machine.
#
# Env:
#   CANDIDATES   (tunctl tunctl-1w tunctl-pp socat wireguard-go vxlan direct); also available:
#                tinc, openvpn (apt-get install tinc openvpn)
#   REPS (3), DURATION (10 s per iperf3 test), PING_COUNT (200), PING_INTERVAL (0.01), GAP (1 s),
#   WARMUP (1; 0: none), WARMUP_TCP_S (3), WARMUP_PINGS (3000, 2 ms apart): see measure.sh
#   RESULTS_DIR  (default /tmp/tunctl-bench-datapath/results/<date>): runs.jsonl, meta.txt,
#                run.log, report.md, raw/<candidate>/rep<r>/ (iperf3 JSON, ping, cpu, logs)
#   TUNCTL_AGENT_ARGS  extra flags for the agents of the plain `tunctl` candidate
# Everything runs inside the bn-dp-* namespaces the harness creates and deletes; a failed
# candidate is recorded as failed and the run goes on.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, TUN devices): sudo npm run bench"

CANDIDATES=${CANDIDATES:-"tunctl tunctl-1w tunctl-pp socat wireguard-go vxlan direct"}
REPS=${REPS:-3}
export DURATION=${DURATION:-10}
export PING_COUNT=${PING_COUNT:-200}
export PING_INTERVAL=${PING_INTERVAL:-0.01}
export GAP=${GAP:-1}
export WARMUP=${WARMUP:-1}
export WARMUP_TCP_S=${WARMUP_TCP_S:-3}
export WARMUP_PINGS=${WARMUP_PINGS:-3000}
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer, got '$REPS'"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a positive number of seconds, got '$DURATION'"
known=$(for f in "$HERE"/forwarders/*.sh; do basename "$f" .sh; done | paste -sd ' ')
for c in $CANDIDATES; do
  [ -f "$HERE/forwarders/$c.sh" ] || die "unknown candidate '$c' (known: $known)"
done

# --- tools: never installed from here, only named --------------------------------------------
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need ip iproute2
need ping iputils-ping
need iperf3 iperf3
need timeout coreutils
for c in $CANDIDATES; do
  case $c in
    socat) need socat socat ;;
    wireguard-go) need wireguard-go wireguard-go; need wg wireguard-tools ;;
    tinc) need tincd tinc ;;
    openvpn) need openvpn openvpn ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  log "missing tools; install them with:"
  echo "apt-get install -y $(printf '%s\n' "${missing[@]}" | sort -u | paste -sd ' ')" >&2
  exit 1
fi
[ -e /dev/net/tun ] || die "/dev/net/tun is missing (TUN support)"
if [ ! -f "$DATAPATH_JS/summarize.js" ] || [ ! -f "$TUNCTL_ROOT/dist/cli/tunctl.js" ]; then
  die "no build in $TUNCTL_ROOT/dist: run npm run build (npm run bench does)"
fi

# One benchmark at a time: a second one would tear down the first one's namespaces.
mkdir -p "$BN_STATE"
exec 9>"$BN_STATE/lock"
flock -n 9 || die "another data-path benchmark holds $BN_STATE/lock"

# --- estimate ----------------------------------------------------------------------------------
# Per run: 7 iperf3 tests of DURATION plus GAP and ~0.2 s of connection set-up/results, the
# pings, the warm-up, ~2 s for the topology and the iperf3 server, and start/stop of the candidate
# (tunctl's controller, add-node and join are the slowest). Measured on a 2-core VM.
estimate_s() {
  local c total=0 setup
  for c in $CANDIDATES; do
    case $c in
      direct | vxlan) setup=1 ;;
      tunctl*) setup=4 ;;
      *) setup=2 ;;
    esac
    total=$(awk -v t="$total" -v s="$setup" -v d="$DURATION" -v g="$GAP" -v n="$PING_COUNT" -v i="$PING_INTERVAL" \
      -v w="$WARMUP" -v wt="$WARMUP_TCP_S" -v wp="$WARMUP_PINGS" \
      'BEGIN { print t + s + 7 * (d + g + 0.2) + n * i * 1.2 + g + 2 + w * (wt + 0.5 + wp * 0.0025 + g) }')
  done
  awk -v t="$total" -v r="$REPS" 'BEGIN { printf "%d", t * r }'
}
EST=$(estimate_s)
n_cand=$(wc -w <<<"$CANDIDATES")
log "data-path benchmark: $n_cand candidates x $REPS reps, ${DURATION}s per iperf3 test: about $((EST / 60)) min $((EST % 60)) s"

RESULTS_DIR=${RESULTS_DIR:-$BN_STATE/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RESULTS_DIR"
: >"$RESULTS_DIR/runs.jsonl"
RUN_TIMEOUT_S=${RUN_TIMEOUT_S:-$((8 * (DURATION + 10) + 120))}

commit=$(git -C "$TUNCTL_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$TUNCTL_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] && commit="$commit (with uncommitted changes)"
{
  echo "date: $(date -Is)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
  echo "cores: $(nproc)"
  echo "kernel: $(uname -srm)"
  echo "os: Debian $(cat /etc/debian_version 2>/dev/null || echo '?')"
  echo "node: $(node --version)"
  echo "tunctl: $commit"
  echo "candidates: $CANDIDATES"
  echo "reps: $REPS"
  echo "duration: ${DURATION} s per iperf3 test (tcp1 tcp2 tcp4 tcp1r tcp2r tcp4r udp64)"
  echo "ping: $PING_COUNT x ${PING_INTERVAL} s"
  if [ "$WARMUP" = 1 ]; then echo "warm-up: ${WARMUP_TCP_S} s TCP + $WARMUP_PINGS pings 2 ms apart, not recorded"; else echo "warm-up: none"; fi
  echo "iperf3: $(iperf3 --version | head -1)"
  command -v socat >/dev/null && echo "socat: $(socat -V 2>/dev/null | grep -m1 'socat version' | awk '{print $3}')"
  command -v wireguard-go >/dev/null && echo "wireguard-go: $(wireguard-go --version 2>/dev/null | head -1 | awk '{print $2}')"
} >"$RESULTS_DIR/meta.txt"

current_run=
stop() {
  [ -n "$current_run" ] && kill -TERM "$current_run" 2>/dev/null && wait "$current_run"
  "$HERE/topo.sh" down
  exit 130
}
trap stop INT TERM

started=$(date +%s)
read -r -a order <<<"$CANDIDATES"
for ((rep = 1; rep <= REPS; rep++)); do
  # rotate the order each repetition: no candidate always runs first (cold) or last
  n=${#order[@]}
  for ((k = 0; k < n; k++)); do
    fw=${order[$(((k + rep - 1) % n))]}
    log "=== rep $rep/$REPS: $fw"
    # run.sh cleans up after itself; timeout is a hard upper bound on one run
    timeout --kill-after=20 "$RUN_TIMEOUT_S" "$HERE/run.sh" "$fw" "$rep" "$RESULTS_DIR" >>"$RESULTS_DIR/run.log" 2>&1 &
    current_run=$!
    wait "$current_run"
    rc=$?
    current_run=
    if [ $rc != 0 ]; then
      log "$fw rep $rep failed (rc=$rc); see $RESULTS_DIR/run.log"
      "$HERE/topo.sh" down 2>>"$RESULTS_DIR/run.log" # in case run.sh was killed by the timeout
      # a run killed before it could write its record still gets one
      grep -q "\"fw\":\"$fw\",\"rep\":$rep," "$RESULTS_DIR/runs.jsonl" ||
        printf '{"fw":"%s","rep":%s,"failed":true,"errors":["run.sh ended with rc=%s before writing its record"],"metrics":{}}\n' \
          "$fw" "$rep" "$rc" >>"$RESULTS_DIR/runs.jsonl"
    fi
    tail -n 1 "$RESULTS_DIR/runs.jsonl" | cut -c1-240 >&2
  done
done
elapsed=$(($(date +%s) - started))
echo "wall time: $((elapsed / 60)) min $((elapsed % 60)) s (estimated $((EST / 60)) min $((EST % 60)) s)" >>"$RESULTS_DIR/meta.txt"

echo
node "$DATAPATH_JS/report-cli.js" "$RESULTS_DIR"
echo
echo "results: $RESULTS_DIR (report.md, runs.jsonl, raw/)"
