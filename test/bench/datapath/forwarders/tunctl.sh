# shellcheck shell=bash
# tunctl: the whole system as in production. A controller (in node1, on the underlay), the
# two nodes added with `tunctl add-node` (pinned to the topology's container subnets), and
# one agent per node that joins with its token, opens tun0, sets its MTU and installs the
# routes the controller hands out. Nothing is configured by hand.
#
# CPU and peak RSS count the two agents only (worker threads included), not the controller:
# FW_ACCOUNT_NAMES below; pids.desc in the raw results says which PID was which.
#
# TUNCTL_AGENT_ARGS: extra flags for both agents (word-split). The variant files
# (tunctl-1w.sh, tunctl-pp.sh) set it and source this file.
# TUNCTL_ROOT: the checkout to run (default: this repository), built with npm run build.
FW_DESC="controller + 2 agents${TUNCTL_AGENT_ARGS:+ ($TUNCTL_AGENT_ARGS)}"
FW_ACCOUNT_NAMES="agent1 agent2"

fw_up() {
  local tunctl="node $TUNCTL_ROOT/dist/cli/tunctl.js"
  [ -f "$TUNCTL_ROOT/dist/cli/tunctl.js" ] || { log "no $TUNCTL_ROOT/dist/cli/tunctl.js: run npm run build"; return 1; }
  local ctl="$NODE1_IP:7400"
  local sock="unix:$FW_WORKDIR/controller.sock"
  local -a agent_args
  read -r -a agent_args <<<"${TUNCTL_AGENT_ARGS:-}"
  # shellcheck disable=SC2086
  fw_spawn "$NS_NODE1" controller $tunctl controller --listen "$ctl" --admin-socket "$FW_WORKDIR/controller.sock" \
    --data-dir "$FW_WORKDIR/controller" --network 10.244.0.0/16 --udp-port "$FW_PORT"
  local i
  for ((i = 0; i < 100; i++)); do
    # shellcheck disable=SC2086
    nsx "$NS_NODE1" $tunctl network --controller "$sock" >/dev/null 2>&1 && break
    fw_pids_alive || return 1
    sleep 0.1
  done
  # Each agent joins with the one-time token add-node prints (a field of -o json).
  local token1 token2
  # shellcheck disable=SC2086
  token1=$(nsx "$NS_NODE1" $tunctl add-node node1 --underlay-ip "$NODE1_IP" --subnet "$CTR1_NET" --controller "$sock" -o json |
    sed -n 's/.*"token": "\(tj1\.[^"]*\)".*/\1/p') || return 1
  # shellcheck disable=SC2086
  token2=$(nsx "$NS_NODE1" $tunctl add-node node2 --underlay-ip "$NODE2_IP" --subnet "$CTR2_NET" --controller "$sock" -o json |
    sed -n 's/.*"token": "\(tj1\.[^"]*\)".*/\1/p') || return 1
  [[ -n $token1 && -n $token2 ]] || { log "add-node printed no join token"; return 1; }
  # from files: the tokens stay out of ps and of pids.desc (kept with the results)
  (umask 077 && echo "$token1" >"$FW_WORKDIR/token1" && echo "$token2" >"$FW_WORKDIR/token2")
  # Each agent serves its local API in the run's folder, not on the host's /run/tunctl.
  # shellcheck disable=SC2086
  fw_spawn "$NS_NODE1" agent1 $tunctl agent --join-token-file "$FW_WORKDIR/token1" --controller "$ctl" \
    --state-dir "$FW_WORKDIR/agent1" --socket "$FW_WORKDIR/agent1.sock" "${agent_args[@]}"
  # shellcheck disable=SC2086
  fw_spawn "$NS_NODE2" agent2 $tunctl agent --join-token-file "$FW_WORKDIR/token2" --controller "$ctl" \
    --state-dir "$FW_WORKDIR/agent2" --socket "$FW_WORKDIR/agent2.sock" "${agent_args[@]}"
  # The agents install the routes (protocol 147) from the controller's table; an agent that
  # exits (e.g. an unknown flag) fails the run at once instead of after the timeout.
  for ((i = 0; i < 150; i++)); do
    ip -n "$NS_NODE1" route show proto 147 | grep -q "$CTR2_NET" &&
      ip -n "$NS_NODE2" route show proto 147 | grep -q "$CTR1_NET" && return 0
    fw_pids_alive || { log "a tunctl process exited during start-up"; return 1; }
    sleep 0.1
  done
  log "tunctl agents did not install their routes within 15 s"
  return 1
}

fw_down() { :; }   # run.sh stops the registered PIDs (agents remove their routes and tun0)
