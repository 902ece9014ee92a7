#!/usr/bin/env bash
# topo.sh up|down|status
#
#   ctr1 (10.244.1.2/24, eth0) ==veth== (veth-ctr1 10.244.1.1/24) node1
#   node1 (ul0 192.168.77.1/24) ======== underlay veth, MTU 1500 ======== (ul0 192.168.77.2/24) node2
#   node2 (veth-ctr2 10.244.2.1/24) ==veth== (eth0 10.244.2.2/24) ctr2
# (namespaces $BN_PREFIX{ctr1,ctr2,node1,node2}, default prefix bn-dp-)
#
# Node namespaces: ip_forward=1, proxy_arp=1 on the ctr-facing veth,
# rp_filter=0, IPv6 disabled in all our namespaces. No route between 10.244.1.0/24 and 10.244.2.0/24 exists until a
# forwarder (forwarders/NAME.sh fw_up) provides one.
# Nothing is created in the root namespace: veth pairs are created directly
# inside the bn-* namespaces.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

up() {
  down quiet
  local ns
  for ns in $BN_ALL_NS; do
    ip netns add "$ns"
    # IPv4 only: no IPv6 link-local/RS/MLD chatter on veths and tuns (it would
    # e.g. hit a not-yet-bound peer port and kill a connected-UDP forwarder)
    nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    nsx "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  for ns in "$NS_NODE1" "$NS_NODE2"; do
    nsx "$ns" sysctl -qw net.ipv4.ip_forward=1
    nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0
    nsx "$ns" sysctl -qw net.ipv4.conf.default.rp_filter=0
  done

  # underlay: created inside node1, peer moved straight into node2
  ip -n "$NS_NODE1" link add "$UL_IF" mtu "$UL_MTU" type veth peer name "$UL_IF" netns "$NS_NODE2"
  ip -n "$NS_NODE1" addr add "$NODE1_IP/$UL_PREFIX" dev "$UL_IF"
  ip -n "$NS_NODE2" addr add "$NODE2_IP/$UL_PREFIX" dev "$UL_IF"
  ip -n "$NS_NODE1" link set "$UL_IF" up
  ip -n "$NS_NODE2" link set "$UL_IF" up

  # containers
  ip -n "$NS_CTR1" link add "$CTR_IF" type veth peer name "$HOST_VETH1" netns "$NS_NODE1"
  ip -n "$NS_CTR2" link add "$CTR_IF" type veth peer name "$HOST_VETH2" netns "$NS_NODE2"
  ip -n "$NS_CTR1" addr add "$CTR1_IP/24" dev "$CTR_IF"
  ip -n "$NS_CTR2" addr add "$CTR2_IP/24" dev "$CTR_IF"
  ip -n "$NS_NODE1" addr add "$GW1_IP/24" dev "$HOST_VETH1"
  ip -n "$NS_NODE2" addr add "$GW2_IP/24" dev "$HOST_VETH2"
  ip -n "$NS_CTR1" link set "$CTR_IF" up
  ip -n "$NS_CTR2" link set "$CTR_IF" up
  ip -n "$NS_NODE1" link set "$HOST_VETH1" up
  ip -n "$NS_NODE2" link set "$HOST_VETH2" up
  ip -n "$NS_CTR1" route add default via "$GW1_IP"
  ip -n "$NS_CTR2" route add default via "$GW2_IP"
  nsx "$NS_NODE1" sysctl -qw "net.ipv4.conf.$HOST_VETH1.proxy_arp=1"
  nsx "$NS_NODE2" sysctl -qw "net.ipv4.conf.$HOST_VETH2.proxy_arp=1"
  nsx "$NS_NODE1" sysctl -qw "net.ipv4.conf.$HOST_VETH1.rp_filter=0"
  nsx "$NS_NODE2" sysctl -qw "net.ipv4.conf.$HOST_VETH2.rp_filter=0"

  # sanity: underlay and ctr<->node reachability (bounded pings, inside netns)
  nsx "$NS_NODE1" ping -q -c 1 -W 2 "$NODE2_IP" >/dev/null || die "underlay ping failed"
  nsx "$NS_CTR1" ping -q -c 1 -W 2 "$GW1_IP" >/dev/null || die "ctr1->node1 ping failed"
  nsx "$NS_CTR2" ping -q -c 1 -W 2 "$GW2_IP" >/dev/null || die "ctr2->node2 ping failed"
  log "topology up ($BN_ALL_NS)"
}

down() {
  local quiet=${1:-} ns p
  for ns in $BN_ALL_NS; do
    [ -e "/var/run/netns/$ns" ] || continue
    # Fallback cleanup: anything still running inside OUR namespaces was
    # started by this harness (run.sh normally kills its PIDs itself).
    for p in $(ip netns pids "$ns" 2>/dev/null); do
      log "topo down: killing leftover pid $p ($( { tr '\0' ' ' </proc/$p/cmdline; } 2>/dev/null | cut -c1-80)) in $ns"
      kill -TERM "$p" 2>/dev/null || true
    done
  done
  sleep 0.2
  for ns in $BN_ALL_NS; do
    [ -e "/var/run/netns/$ns" ] || continue
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  [ "$quiet" = quiet ] || log "topology down"
}

status() {
  local ns
  for ns in $BN_ALL_NS; do
    echo "== $ns"
    [ -e "/var/run/netns/$ns" ] || { echo "   (absent)"; continue; }
    ip -n "$ns" -br addr
    ip -n "$ns" route
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
