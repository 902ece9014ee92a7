# shellcheck shell=bash
# tunctl-pp: tunctl with offloads off (--offload off): the per-packet path, one TUN read
# and one UDP datagram per packet.
TUNCTL_AGENT_ARGS="--offload off"
. "$BENCH_DIR/forwarders/tunctl.sh"
