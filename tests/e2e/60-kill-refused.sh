#!/bin/bash
# 60-kill-refused: KILL while a node is registered (no relaxed check)
# answers exactly "NO" and closes; the daemon keeps running with the node.
# Reference: epmd-reference.md 1.6.
. "$(dirname "$0")/lib.sh"

start_daemon
register live 1234
out=$(wire --str k)
assert_eq "$?" 0 "wire exit (0 = closed)"
assert_eq "$out" "$(hexof NO)" "KILL reply with a node registered"
daemon_ok
names_has live || fail "live no longer listed after refused KILL"
alive "$REG_PID" || fail "live's connection was closed"
