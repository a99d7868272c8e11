#!/bin/bash
# 05-address-option: "-address 127.0.0.1" serves 127.0.0.1 and also ::1
# (loopback is always added); an unparsable address makes the daemon exit
# 1 with 'cannot parse IP address "bogus"' on stderr.
# Reference: epmd-reference.md 2 (listening sockets, -address).
. "$(dirname "$0")/lib.sh"

start_daemon -address 127.0.0.1
assert_eq "$(wire --str n)" "$(hex32 "$PORT")" "NAMES over 127.0.0.1"
if "$PYTHON" -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	assert_eq "$(wire -H ::1 --str n)" "$(hex32 "$PORT")" "NAMES over ::1 with -address 127.0.0.1"
fi
stop_daemon

p2=$(other_port) || fail "no second port"
for addr in bogus "127.0.0.1,bogus"; do
	timeout --foreground -k 2 10 "$EPMD" -address "$addr" -port "$p2" \
	    >"$TMP/o" 2>"$TMP/e" </dev/null
	rc=$?
	assert_eq "$rc" 1 "exit code with -address $addr"
	assert_contains "$(cat "$TMP/e")" 'cannot parse IP address "bogus"' "stderr with -address $addr"
	assert_eq "$(cat "$TMP/o")" "" "stdout with -address $addr"
done
