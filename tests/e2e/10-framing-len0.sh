#!/bin/bash
# 10-framing-len0: a request whose 2-byte length is 0 is closed at once with
# no reply, and the daemon keeps serving.
# Reference: epmd-reference.md 1.0 (invalid length: Len 0 -> close).
. "$(dirname "$0")/lib.sh"

start_daemon
out=$(wire --raw --hex 0000)
rc=$?
assert_eq "$rc" 0 "wire exit (0 = server closed)"
assert_eq "$out" "" "reply to Len 0"

# Len 0 followed by more bytes in the same write is refused the same way.
out=$(wire --raw --hex 00006e)
assert_eq "$?" 0 "wire exit for Len 0 + byte"
assert_eq "$out" "" "reply to Len 0 + byte"
daemon_ok
