#!/bin/bash
# A client that half-closes (shutdown(SHUT_WR)) before sending anything,
# after one byte of header, or in the middle of an ALIVE2: the daemon
# closes the connection within packet_timeout + 2 s (3 + 2 here), with no
# reply, and nothing is registered.
. "$(dirname "$0")/lib.sh"

T=3
start_daemon -packet_timeout $T
out=$(hc halfclose-idle $((T + 2))) || fail "half-closed idle connection"
daemon_ok
[ "$(status_get registrations)" = 0 ] || fail "a half-closed ALIVE2 registered"
wait_until 10 status_le connections 1 ||
    fail "connections=$(status_get connections), want 1"
note "$out"
