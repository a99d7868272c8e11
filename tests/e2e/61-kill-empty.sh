#!/bin/bash
# 61-kill-empty: KILL with no node registered answers exactly "OK", and the
# daemon exits with status 0. A node that registered and left does not
# count.
# Reference: epmd-reference.md 1.6.
. "$(dirname "$0")/lib.sh"

start_daemon
wire --register left 1000 --timeout 0.2 >/dev/null
wait_until 5 names_lacks left || fail "left still listed"
out=$(wire --str k)
assert_eq "$?" 0 "wire exit (0 = closed)"
assert_eq "$out" "$(hexof OK)" "KILL reply with no nodes"
wait_until 5 dead "$DAEMON_PID" || fail "daemon still running 5 s after KILL"
wait "$DAEMON_PID"
assert_eq "$?" 0 "daemon exit status after KILL"
