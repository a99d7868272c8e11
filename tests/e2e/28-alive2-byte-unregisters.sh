#!/bin/bash
# 28-alive2-byte-unregisters: any byte sent on a registered connection makes
# the server unregister the node and close the connection (one NUL byte, or
# "hello").
# Reference: epmd-reference.md 1.0 (registered connections), 8 item 6.
. "$(dirname "$0")/lib.sh"

start_daemon
register stay 7000
for data in 00 68656c6c6f 00016e; do
	out=$(wire --register chat 7001 --then "$data" --then-delay 0.5 --timeout 5)
	rc=$?
	assert_match "$(sed -n 1p <<<"$out")" "7600[0-9a-f]{8}" "ALIVE2 reply"
	assert_match "$(sed -n 2p <<<"$out")" "closed 0\.[0-9]+|closed 1\.[0-9]+" \
	    "after sending $data (want closed about 0.5 s after the reply)"
	assert_eq "$rc" 0 "wire exit (0 = closed)"
	out=$(names)
	assert_eq "$out" "port $PORT
name stay at port 7000" "NAMES after sending $data on chat's connection"
done
