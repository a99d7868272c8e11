#!/bin/bash
# A client that sends NAMES and at once shuts down its sending side
# (shutdown(SHUT_WR)) still gets the whole reply, with 500 nodes listed:
# also when its small receive buffer makes the daemon write in pieces
# after it has seen the FIN.
. "$(dirname "$0")/lib.sh"

N=500
start_daemon -packet_timeout 30
start_holder nodes register half $N "$TMP/nodes.ready" 200 40
wait_ready nodes 60

out=$(hc halfclose-request $N) || fail "half-closed NAMES"
daemon_ok
wait_until 10 status_le connections 1 ||
    fail "connections=$(status_get connections), want 1"
note "$out"
