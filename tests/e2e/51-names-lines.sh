#!/bin/bash
# 51-names-lines: NAMES answers the 4-byte port, then one
# "name <name> at port <port>\n" per node, most recently registered first;
# an unregistered node drops out and the rest keep their order.
# Reference: epmd-reference.md 1.4.
. "$(dirname "$0")/lib.sh"

start_daemon
register foo 1111
register bar 65535
bar_pid=$REG_PID
register 'bäz' 3
want="$(hex32 "$PORT")$(hexof "name bäz at port 3
name bar at port 65535
name foo at port 1111
")"
out=$(wire --str n)
assert_eq "$?" 0 "wire exit (0 = closed)"
assert_eq "$out" "$want" "NAMES reply (hex)"

kill_wait "$bar_pid"
wait_until 5 names_lacks bar || fail "bar still listed after its connection closed"
register bar 2222
assert_eq "$(names)" "port $PORT
name bar at port 2222
name bäz at port 3
name foo at port 1111" "NAMES after bar re-registered"
