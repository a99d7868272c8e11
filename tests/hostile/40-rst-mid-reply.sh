#!/bin/bash
# RST in the middle of a large reply: with 2,000 nodes registered (a NAMES
# reply of about 120 KB), a client with a 4 KB receive buffer asks for
# NAMES, reads a few bytes, and closes with SO_LINGER 0; 200 times.  The
# daemon lives (no SIGPIPE, no crash), keeps all 2,000 registrations and
# frees every one of those connections.
. "$(dirname "$0")/lib.sh"

N=2000 ROUNDS=200
start_daemon -packet_timeout 60
start_holder nodes register rst $N "$TMP/nodes.ready" 250 40
wait_ready nodes 60
[ "$(names_count)" = $N ] || fail "NAMES lists $(names_count), want $N"

hc rst $ROUNDS || fail "RST rounds"

daemon_ok
[ "$(status_get registrations)" = $N ] ||
    fail "registrations=$(status_get registrations), want $N"
[ "$(names_count)" = $N ] || fail "NAMES lists $(names_count), want $N"
# Only the STATUS request itself may remain.
wait_until 10 status_le connections 1 ||
    fail "connections=$(status_get connections) after the resets, want 1"
note "$ROUNDS resets mid-reply: $N registrations intact, no connection left"
