# shellcheck shell=bash
# wireguard-go: userspace WireGuard (ChaCha20-Poly1305, encrypted), one
# instance per node, interface dpwg1/dpwg2 (distinct names because the UAPI
# sockets live in the shared /var/run/wireguard/; not the shared harness's bnwg*),
# default MTU 1420,
# AllowedIPs = remote ctr subnet, endpoint = peer underlay address, UDP 51820.
# NOTE: Debian 12's wireguard-go is 0.0.20220316, which predates the
# 2022-12/2023 batching (recvmmsg/sendmmsg) and TUN GSO/GRO work.
FW_DESC="wireguard-go $(wireguard-go --version 2>/dev/null | awk 'NR==1{print $2}'), MTU 1420"

fw_up() {
  local d=$FW_WORKDIR
  wg genkey >"$d/k1"; wg pubkey <"$d/k1" >"$d/p1"
  wg genkey >"$d/k2"; wg pubkey <"$d/k2" >"$d/p2"
  chmod 600 "$d/k1" "$d/k2"
  fw_spawn "$NS_NODE1" wg1 env LOG_LEVEL=error wireguard-go -f dpwg1
  fw_spawn "$NS_NODE2" wg2 env LOG_LEVEL=error wireguard-go -f dpwg2
  wait_link "$NS_NODE1" dpwg1 && wait_link "$NS_NODE2" dpwg2 || return 1
  local i
  for ((i = 0; i < 50; i++)); do   # UAPI socket ready?
    [ -S /var/run/wireguard/dpwg1.sock ] && [ -S /var/run/wireguard/dpwg2.sock ] && break
    sleep 0.1
  done
  nsx "$NS_NODE1" wg set dpwg1 listen-port 51820 private-key "$d/k1" \
    peer "$(cat "$d/p2")" endpoint "$NODE2_IP:51820" allowed-ips "$CTR2_NET"
  nsx "$NS_NODE2" wg set dpwg2 listen-port 51820 private-key "$d/k2" \
    peer "$(cat "$d/p1")" endpoint "$NODE1_IP:51820" allowed-ips "$CTR1_NET"
  ip -n "$NS_NODE1" link set dpwg1 up
  ip -n "$NS_NODE2" link set dpwg2 up
  ip -n "$NS_NODE1" route add "$CTR2_NET" dev dpwg1
  ip -n "$NS_NODE2" route add "$CTR1_NET" dev dpwg2
}

fw_down() {
  rm -f /var/run/wireguard/dpwg1.sock /var/run/wireguard/dpwg2.sock
}
