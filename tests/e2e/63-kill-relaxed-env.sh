#!/bin/bash
# 63-kill-relaxed-env: ERL_EPMD_RELAXED_COMMAND_CHECK set, even to the empty
# string, turns on the relaxed check like -relaxed_command_check: KILL with
# a node registered answers "OK" and the daemon exits 0.
# Reference: epmd-reference.md 2 (relaxed command check: set to anything).
. "$(dirname "$0")/lib.sh"

export ERL_EPMD_RELAXED_COMMAND_CHECK=
start_daemon
unset ERL_EPMD_RELAXED_COMMAND_CHECK
register n1 1001
out=$(wire --str k)
assert_eq "$out" "$(hexof OK)" "KILL reply with a node (relaxed via empty env)"
wait_until 5 dead "$DAEMON_PID" || fail "daemon still running 5 s after KILL"
wait "$DAEMON_PID"
assert_eq "$?" 0 "daemon exit status after KILL"
