#!/bin/bash
# 85-nodes-stop-reregisters: with -relaxed_command_check, "epmd -stop a"
# prints STOPPED and unregisters a running node; the node sees EOF on its
# registration connection and registers again by itself within 10 s (same
# port), after which it can be pinged.
# Reference: epmd-reference.md 1.7, 6 (retry every 2 s after tcp_closed).
. "$(dirname "$0")/lib.sh"

start_daemon -relaxed_command_check
start_node a
H=$NODE_HOST
port_a=$(names | sed -n 's/^name a at port //p')
epmd_cli "$EPMD" -stop a
assert_eq "$(cat "$TMP/cli.out")" "STOPPED" "epmd -stop a"
wait_until 10 names_has a || fail "node a not registered again 10 s after STOP"
assert_eq "$(names | sed -n 's/^name a at port //p')" "$port_a" "a's port after re-registering"
assert_eq "$(erl_run "net_adm:ping('a@$H')")" "pong" "ping a after STOP"
