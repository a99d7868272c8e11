#!/bin/bash
# 84-nodes-daemon-restart: a node keeps running when the daemon is killed,
# and re-registers by itself (it retries every 2 s) once a daemon is back on
# the same port: listed again within 10 s, and it can be pinged.
# Reference: epmd-reference.md 6 (if epmd dies or restarts), 8 item 17.
. "$(dirname "$0")/lib.sh"

start_daemon
start_node a
pid_a=$NODE_PID
H=$NODE_HOST
stop_daemon
sleep 1
alive "$pid_a" || fail "node a died with the daemon"
start_daemon
wait_until 10 names_has a || fail "node a not re-registered 10 s after the restart"
assert_eq "$(erl_run "net_adm:ping('a@$H')")" "pong" "ping a after the restart"
