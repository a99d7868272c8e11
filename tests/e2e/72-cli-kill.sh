#!/bin/bash
# 72-cli-kill: "epmd -kill" behaves like stock: with a node registered it
# prints "Killing not allowed - living nodes in database." and exits 1; with
# no node it prints "Killed", exits 0, and the daemon exits 0.
# Reference: epmd-reference.md 3 (client side, -kill), 1.6.
. "$(dirname "$0")/lib.sh"

start_daemon
start_stock_daemon
pids=
for p in "$PORT" "$SPORT"; do
	register foo 1111 -p "$p"
	pids="$pids $REG_PID"
done
cli_compare -kill
assert_eq "$(cat "$CLI_OUT")" "Killing not allowed - living nodes in database." "-kill stdout with a node"
assert_eq "$CLI_RC" 1 "-kill exit code with a node"
daemon_ok

for p in $pids; do kill_wait "$p"; done
wait_until 5 names_lacks foo "$PORT" || fail "foo still listed"
wait_until 5 names_lacks foo "$SPORT" || fail "foo still listed on stock"
cli_compare -port @PORT@ -kill
assert_eq "$(cat "$CLI_OUT")" "Killed" "-kill stdout with no node"
assert_eq "$CLI_RC" 0 "-kill exit code with no node"
wait_until 5 dead "$DAEMON_PID" || fail "daemon still running after -kill"
wait "$DAEMON_PID"
assert_eq "$?" 0 "daemon exit status"
