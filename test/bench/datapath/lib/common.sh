# shellcheck shell=bash
# Shared settings and helpers of the data-path benchmark (vendored from the team's namespace
# harness, shared/bench, and adapted: own namespace prefix, accounting of chosen processes,
# Node instead of Python for the summaries). Sourced by topo.sh, run.sh, measure.sh, bench.sh
# and every forwarders/NAME.sh.
#
# SAFETY: every command here that touches the network uses `ip -n NS` or `ip netns exec NS`
# with a namespace whose name starts with $BN_PREFIX. Nothing is configured in the root
# namespace.

BENCH_DIR=${BENCH_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export BENCH_DIR
# The tunctl checkout whose dist/ is measured and whose dist/ holds the summarizer.
TUNCTL_ROOT=${TUNCTL_ROOT:-$(cd "$BENCH_DIR/../../.." && pwd)}
export TUNCTL_ROOT
export DATAPATH_JS=$TUNCTL_ROOT/dist/test/bench/datapath

# Not the shared harness's "bn-": both may run on one machine without deleting each
# other's namespaces.
BN_PREFIX=${BN_PREFIX:-bn-dp-}
case "$BN_PREFIX" in bn-*) ;; *) echo "BN_PREFIX must start with 'bn-'" >&2; exit 2 ;; esac

# --- namespaces -------------------------------------------------------------
export NS_NODE1=${BN_PREFIX}node1
export NS_NODE2=${BN_PREFIX}node2
export NS_CTR1=${BN_PREFIX}ctr1
export NS_CTR2=${BN_PREFIX}ctr2
BN_ALL_NS="$NS_CTR1 $NS_CTR2 $NS_NODE1 $NS_NODE2"

# --- underlay (node1 <-> node2 veth, "the physical network") ----------------
export UL_IF=ul0                 # same name in both node namespaces
export NODE1_IP=192.168.77.1
export NODE2_IP=192.168.77.2
export UL_PREFIX=24
export UL_MTU=1500

# --- container side ----------------------------------------------------------
export CTR_IF=eth0               # interface name inside each ctr namespace
export HOST_VETH1=veth-ctr1      # node1 side of ctr1's veth
export HOST_VETH2=veth-ctr2      # node2 side of ctr2's veth
export CTR1_IP=10.244.1.2
export CTR2_IP=10.244.2.2
export GW1_IP=10.244.1.1         # node1's address on the ctr1 veth
export GW2_IP=10.244.2.1
export CTR1_NET=10.244.1.0/24
export CTR2_NET=10.244.2.0/24

# --- point-to-point transit addresses for tools that insist on an address on their
#     tunnel device (socat, openvpn, vxlan). Only inside node namespaces.
export TUN1_IP=10.254.0.1
export TUN2_IP=10.254.0.2

# Base UDP port a forwarder may use (each forwarder may pick its own).
export FW_PORT=${FW_PORT:-7000}

# Run state (pid files, logs, generated configs); wiped per run.
export BN_STATE=${BN_STATE:-/tmp/tunctl-bench-datapath}

# --- helpers -----------------------------------------------------------------
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# nsx NS cmd...   : run a command inside one of our namespaces
nsx() {
  local ns=$1; shift
  case "$ns" in "$BN_PREFIX"*) ;; *) die "refusing to run in namespace '$ns'";; esac
  ip netns exec "$ns" "$@"
}

# fw_spawn NS LOGNAME cmd...
#   Start a long-running forwarder process inside namespace NS in the background. Its PID
#   goes to $FW_WORKDIR/pids (killed at the end of the run) and, with its name and command,
#   to $FW_WORKDIR/pids.desc (which PID is which, kept with the raw results).
#   `ip netns exec` execs the command in place, so $! is the command's PID. The command
#   must stay in the foreground (no daemonizing).
fw_spawn() {
  local ns=$1 name=$2; shift 2
  case "$ns" in "$BN_PREFIX"*) ;; *) die "refusing to spawn in namespace '$ns'";; esac
  ip netns exec "$ns" "$@" >"$FW_WORKDIR/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >>"$FW_WORKDIR/pids"
  echo "$pid $ns $name $*" >>"$FW_WORKDIR/pids.desc"
  log "spawned $name in $ns: pid $pid ($*)"
}

# fw_accounted_pids : the PIDs whose CPU time and peak RSS are the forwarder's cost. A
#   forwarder file sets FW_ACCOUNT_NAMES (log names given to fw_spawn) to count only some of
#   its processes (tunctl: the two agents, not the controller); unset = all of them.
fw_accounted_pids() {
  [ -n "${FW_WORKDIR:-}" ] && [ -s "$FW_WORKDIR/pids.desc" ] || return 0
  local pid ns name rest
  while read -r pid ns name rest; do
    if [ -z "${FW_ACCOUNT_NAMES:-}" ]; then echo "$pid"; continue; fi
    case " $FW_ACCOUNT_NAMES " in *" $name "*) echo "$pid" ;; esac
  done <"$FW_WORKDIR/pids.desc"
}

# wait_link NS IFNAME [timeout_s] : wait until an interface shows up
wait_link() {
  local ns=$1 ifn=$2 t=${3:-10} i
  for ((i = 0; i < t * 10; i++)); do
    ip -n "$ns" link show dev "$ifn" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "interface $ifn did not appear in $ns within ${t}s"
  return 1
}

# fw_pids_alive : all registered forwarder PIDs still running?
fw_pids_alive() {
  local p ok=0
  [ -n "${FW_WORKDIR:-}" ] && [ -s "$FW_WORKDIR/pids" ] || return 0
  for p in $(cat "$FW_WORKDIR/pids"); do
    kill -0 "$p" 2>/dev/null || { log "forwarder pid $p died"; ok=1; }
  done
  return $ok
}

# fw_dead_names : log names of registered processes that are no longer running
fw_dead_names() {
  [ -n "${FW_WORKDIR:-}" ] && [ -s "$FW_WORKDIR/pids.desc" ] || return 0
  local pid ns name rest
  while read -r pid ns name rest; do
    kill -0 "$pid" 2>/dev/null || echo "$name"
  done <"$FW_WORKDIR/pids.desc"
}

# kill_pidfile FILE : TERM, wait up to 3 s, then KILL, only the listed PIDs
kill_pidfile() {
  local f=$1 p i
  [ -s "$f" ] || return 0
  for p in $(cat "$f"); do kill -TERM "$p" 2>/dev/null; done
  for ((i = 0; i < 30; i++)); do
    local alive=0
    for p in $(cat "$f"); do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in $(cat "$f"); do kill -KILL "$p" 2>/dev/null; done
  : >"$f"
}
