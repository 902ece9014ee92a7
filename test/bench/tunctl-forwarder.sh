# shellcheck shell=bash
# tunctl as a forwarder for the namespace benchmark harness (../shared/bench):
#   cp -r ../shared/bench /tmp/bench && cp test/bench/tunctl-forwarder.sh /tmp/bench/forwarders/tunctl.sh
#   TUNCTL_ROOT=$PWD RESULTS_DIR=/tmp/bench-results REPS=3 /tmp/bench/run-all.sh tunctl socat
# The whole system runs as in production: a controller (in node1, on the underlay), nodes
# added with `tunctl add-node` (pinned to the harness's container subnets), and one agent
# per node that opens tun0 and installs its own routes. CPU accounting covers the
# controller and both agents (worker threads included).
FW_DESC="tunctl: controller + 2 agents (koffi TUN/UDP workers), tun MTU 1472"

fw_up() {
  local root=${TUNCTL_ROOT:?set TUNCTL_ROOT to the tunctl checkout (built with npm run build)}
  local tunctl="node $root/dist/cli/tunctl.js"
  local ctl="$NODE1_IP:7400"
  local sock="unix:$FW_WORKDIR/controller.sock"
  fw_spawn "$NS_NODE1" controller $tunctl controller --listen "$ctl" --admin-socket "$FW_WORKDIR/controller.sock" \
    --data-dir "$FW_WORKDIR/controller" --network 10.244.0.0/16 --udp-port "$FW_PORT"
  local i
  for ((i = 0; i < 100; i++)); do
    nsx "$NS_NODE1" $tunctl network --controller "$sock" >/dev/null 2>&1 && break
    sleep 0.1
  done
  # Each agent joins with the one-time token add-node prints (the token is the last field of -o json).
  local token1 token2
  token1=$(nsx "$NS_NODE1" $tunctl add-node node1 --underlay-ip "$NODE1_IP" --subnet "$CTR1_NET" --controller "$sock" -o json |
    sed -n 's/.*"token": "\(tj1\.[^"]*\)".*/\1/p') || return 1
  token2=$(nsx "$NS_NODE1" $tunctl add-node node2 --underlay-ip "$NODE2_IP" --subnet "$CTR2_NET" --controller "$sock" -o json |
    sed -n 's/.*"token": "\(tj1\.[^"]*\)".*/\1/p') || return 1
  [[ -n $token1 && -n $token2 ]] || { log "add-node printed no join token"; return 1; }
  fw_spawn "$NS_NODE1" agent1 $tunctl agent --join-token "$token1" --controller "$ctl" --state-dir "$FW_WORKDIR/agent1"
  fw_spawn "$NS_NODE2" agent2 $tunctl agent --join-token "$token2" --controller "$ctl" --state-dir "$FW_WORKDIR/agent2"
  for ((i = 0; i < 100; i++)); do
    ip -n "$NS_NODE1" route show proto 147 | grep -q "$CTR2_NET" &&
      ip -n "$NS_NODE2" route show proto 147 | grep -q "$CTR1_NET" && return 0
    sleep 0.1
  done
  log "tunctl agents did not install their routes within 10 s"
  return 1
}

fw_down() { :; }   # run.sh stops the registered PIDs (agents remove their routes and tun0)
