#!/bin/bash
# 14-framing-unknown-opcode: an unknown opcode, including the obsolete R3
# requests ALIVE_REQ 'a' and PORT_PLEASE_REQ 'p', and 0xff, is closed with
# no reply; so are an HTTP request and a TLS hello.
# Reference: epmd-reference.md 1.0 (unknown opcode: "got garbage").
. "$(dirname "$0")/lib.sh"

start_daemon
for req in 61 610457 70666f6f ff 00 79 76 77; do
	out=$(wire --hex "$req")
	rc=$?
	assert_eq "$rc" 0 "wire exit for request $req (0 = server closed)"
	assert_eq "$out" "" "reply to request $req"
done
# Other protocols (an HTTP request, a TLS hello) are closed the same way.
for raw in "$(hexof 'GET / HTTP/1.0')0d0a0d0a" 16030100a5010000a10303; do
	out=$(wire --raw --hex "$raw")
	assert_eq "$?" 0 "wire exit for $raw (0 = server closed)"
	assert_eq "$out" "" "reply to $raw"
done
daemon_ok
