#!/bin/bash
# 10,000 idle connections held open (max_connections = 12000) while two
# real Erlang nodes register and one pings the other: the idle crowd
# neither blocks registration nor resolution, and none of it is evicted.
. "$(dirname "$0")/lib.sh"
command -v erl >/dev/null || skip "erl not installed"

N=10000
[ "$(ulimit -Hn)" -ge $((N + 200)) ] ||
    skip "hard RLIMIT_NOFILE $(ulimit -Hn) < $((N + 200))"
write_conf "max_connections = 12000"
start_daemon -f "$TMP/epmdx.conf" -packet_timeout 600

start_holder idle hold $N "$TMP/idle.ready" 240
wait_ready idle 60
[ "$READY_N" = $N ] || fail "holder opened $READY_N of $N"
wait_until 20 status_ge connections $N ||
    fail "daemon holds $(status_get connections) connections, want > $N"
note "holding $(status_get connections) connections"

start_node a
start_node b
[ "$(erl_ping a b)" = pong ] || fail "a cannot ping b with $N idle connections"
[ "$(erl_ping b a)" = pong ] || fail "b cannot ping a with $N idle connections"

alive "$HOLDER_PID" || fail "idle holder died"
conns=$(status_get connections)
[ "$conns" -gt $N ] || fail "idle connections dropped to $conns"
[ "$(status_get evicted)" = 0 ] || fail "evicted $(status_get evicted)"
[ "$(status_get registrations)" = 2 ] ||
    fail "registrations=$(status_get registrations), want 2"
note "pong both ways with $conns connections held, 0 evicted"
