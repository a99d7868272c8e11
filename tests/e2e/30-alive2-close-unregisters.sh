#!/bin/bash
# 30-alive2-close-unregisters: closing a registered connection (the client
# ends, or is killed) unregisters the node; PORT2 then answers 77 01.
# Reference: epmd-reference.md 1.1 (closing is the way to unregister).
. "$(dirname "$0")/lib.sh"

start_daemon
register gone 9001
register kept 9002
names_has gone || fail "gone not listed while registered"
kill_wait "$REG_PID"	# kept's holder
wire --register gone2 9003 --timeout 0.2 >/dev/null
wait_until 5 names_lacks kept || fail "kept still listed after its client was killed"
wait_until 5 names_lacks gone2 || fail "gone2 still listed after its client closed"
assert_eq "$(wire --str zkept)" "7701" "PORT2 for kept after close"
assert_eq "$(names)" "port $PORT
name gone at port 9001" "NAMES"
