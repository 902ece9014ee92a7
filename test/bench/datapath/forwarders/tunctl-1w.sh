# shellcheck shell=bash
# tunctl-1w: tunctl with one forwarding worker (--workers 1): against `tunctl` (default
# workers) it shows what the extra workers buy at 1, 2 and 4 streams.
TUNCTL_AGENT_ARGS="--workers 1"
. "$BENCH_DIR/forwarders/tunctl.sh"
