#!/bin/bash
# max_connections = 200 and 1,000 idle connections opened: the daemon
# closes the oldest idle ones to make room and keeps serving: NAMES
# answers, an ALIVE2 registers, a registration made before the flood
# stays, evicted > 0, and it never holds more than the cap.
. "$(dirname "$0")/lib.sh"

CAP=200 N=1000
write_conf "max_connections = $CAP"
start_daemon -f "$TMP/epmdx.conf" -packet_timeout 600

start_holder before register before 1 "$TMP/before.ready" 200
wait_ready before 20

start_holder idle hold $N "$TMP/idle.ready" 200
wait_ready idle 60
[ "$READY_N" = $N ] || fail "holder opened $READY_N of $N"

conns=$(status_get connections) || fail "STATUS does not answer"
[ "$conns" -le $CAP ] || fail "connections=$conns above max_connections=$CAP"
evicted=$(status_get evicted)
[ "$evicted" -ge $((N - CAP)) ] ||
    fail "evicted=$evicted, want >= $((N - CAP))"

names_has before0000 || fail "NAMES does not answer or lost before0000"
start_holder after register after 1 "$TMP/after.ready" 200
wait_ready after 20
names_has after0000 || fail "after0000 not registered at the cap"
[ "$(status_get registrations)" = 2 ] ||
    fail "registrations=$(status_get registrations), want 2"
daemon_ok
note "connections=$conns (cap $CAP) evicted=$evicted after $N opened"
