#!/bin/bash
# 71-cli-dump: "epmd -dump" prints the same as stock: the "up and running"
# header, then the raw dump including the NUL after each line (fd numbers
# normalised, since they depend on the implementation).
# Reference: epmd-reference.md 3 (client side, -dump), 1.5.
. "$(dirname "$0")/lib.sh"

start_daemon
start_stock_daemon
for p in "$PORT" "$SPORT"; do
	register foo 1111 -p "$p"
	register bar 2222 -p "$p"
	kill_wait "$REG_PID"
	wait_until 5 names_lacks bar "$p" || fail "bar still listed on $p"
done
CLI_NORMALISE='s/fd = [0-9]+/fd = FD/g'
cli_compare -port @PORT@ -dump
assert_eq "$(tr '\0' '@' <"$CLI_OUT")" "epmd: up and running on port PORT with data:
active name     <foo> at port 1111, fd = FD
@old/unused name <bar>, port = 2222, fd = FD 
@" "-dump output (NUL shown as @)"
assert_eq "$CLI_RC" 0 "-dump exit code"
