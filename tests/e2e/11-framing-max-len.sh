#!/bin/bash
# 11-framing-max-len: the largest accepted payload is 3057 bytes. A NAMES
# request 'n' followed by 3056 padding bytes (Len 3057) gets the normal
# 4-byte port header; Len 3058 is closed with no reply.
# Reference: epmd-reference.md 1.0 (Len+2 >= 3060 is invalid), 2 (limits).
. "$(dirname "$0")/lib.sh"

start_daemon
want=$(hex32 "$PORT")
out=$(wire --str n --fill 3056)
assert_eq "$?" 0 "wire exit for Len 3057"
assert_eq "$out" "$want" "reply to NAMES with Len 3057"

out=$(wire --str n --fill 3057)
assert_eq "$?" 0 "wire exit for Len 3058 (0 = closed)"
assert_eq "$out" "" "reply to Len 3058"

# A huge declared length is refused at once too (no waiting for the bytes).
out=$(wire --raw --hex ffff6e --timeout 3)
assert_eq "$?" 0 "wire exit for Len 65535 (0 = closed, 2 = still open)"
assert_eq "$out" "" "reply to Len 65535"
daemon_ok
