#!/bin/bash
# 91-scale-2000-idle (epmdx only; stock epmd serves at most about 1019
# connections): with 2,000 idle connections held open, a real Erlang node
# still registers, another node pings it (pong), and none of the idle
# connections was closed early (the packet timeout is 60 s).
# Reference: epmd-reference.md 2 (connection table, packet timeout).
. "$(dirname "$0")/lib.sh"

epmdx_only
N=${E2E_SCALE_N:-2000}
nofile_for "$N"
start_daemon
"$PYTHON" "$WIRE" -p "$PORT" --idle "$N" --timeout 100 \
    >"$TMP/idle.out" 2>&1 &
idle=$!
track_pid "$idle"
wait_until 30 file_lines_ge "$TMP/idle.out" 1 ||
    fail "idle connections not open in 30 s: $(cat "$TMP/idle.out")"
assert_eq "$(head -n 1 "$TMP/idle.out")" "open=$N" "idle connections"

start_node a
H=$NODE_HOST
assert_eq "$(erl_run "net_adm:ping('a@$H')")" "pong" "ping a with $N idle connections"
daemon_ok

kill -TERM "$idle"
wait_until 10 file_lines_ge "$TMP/idle.out" 2 || fail "idle holder did not report"
assert_eq "$(sed -n 2p "$TMP/idle.out")" "closed=0" "idle connections the daemon closed"
