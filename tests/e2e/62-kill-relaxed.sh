#!/bin/bash
# 62-kill-relaxed: with -relaxed_command_check, KILL answers "OK" even with
# nodes registered; the daemon exits 0 and each node's registration
# connection sees EOF.
# Reference: epmd-reference.md 1.6, 2 (relaxed command check).
. "$(dirname "$0")/lib.sh"

start_daemon -relaxed_command_check
register n1 1001
out1=$REG_OUT
register n2 1002
out2=$REG_OUT
out=$(wire --str k)
assert_eq "$out" "$(hexof OK)" "KILL reply with nodes (relaxed)"
wait_until 5 dead "$DAEMON_PID" || fail "daemon still running 5 s after KILL"
wait "$DAEMON_PID"
assert_eq "$?" 0 "daemon exit status after KILL"
for f in "$out1" "$out2"; do
	wait_until 5 file_lines_ge "$f" 2 || fail "registration not closed: $(cat "$f")"
	assert_match "$(sed -n 2p "$f")" "closed [0-9.]+" "registration connection after KILL"
done
