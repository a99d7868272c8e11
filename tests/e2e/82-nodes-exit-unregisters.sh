#!/bin/bash
# 82-nodes-exit-unregisters: a node that exits (init:stop/0 from another
# node) and a node that is killed (SIGKILL) both disappear from
# "epmd -names"; the remaining node stays listed.
# Reference: epmd-reference.md 1.1 (closing unregisters), 3 (-names).
. "$(dirname "$0")/lib.sh"

start_daemon
start_node a
pid_a=$NODE_PID
start_node b
start_node c
pid_c=$NODE_PID
H=$NODE_HOST
out=$(erl_eval a 'init:stop()')
assert_eq "$out" "ok" "init:stop() on a"
wait_until 20 dead "$pid_a" || fail "node a still running 20 s after init:stop()"
# SIGKILL cannot be caught, so wait returns at once; the redirection keeps
# bash's "Killed" job message out of the log.
{ kill -KILL "$pid_c"; wait "$pid_c"; } 2>/dev/null
wait_until 5 names_lacks a || fail "a still listed after it exited"
wait_until 5 names_lacks c || fail "c still listed after it was killed"
epmd_cli "$EPMD" -names
port_b=$(names | sed -n 's/^name b at port //p')
assert_eq "$(cat "$TMP/cli.out")" "epmd: up and running on port $PORT with data:
name b at port $port_b" "epmd -names"
assert_eq "$CLI_RC" 0 "epmd -names exit code"
