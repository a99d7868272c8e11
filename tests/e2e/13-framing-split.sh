#!/bin/bash
# 13-framing-split: requests sent in small pieces are reassembled: NAMES with
# its header in 1-byte writes, and an ALIVE2 in 3-byte writes, answer
# normally.
# Reference: epmd-reference.md 1.0 (partial reads accumulate).
. "$(dirname "$0")/lib.sh"

start_daemon
out=$(wire --raw --hex 00016e --chunk 1 --delay 0.2)
assert_eq "$?" 0 "wire exit for split NAMES"
assert_eq "$out" "$(hex32 "$PORT")" "reply to NAMES sent 1 byte at a time"

register spl 4242 --chunk 3 --delay 0.05
assert_match "$REG_REPLY" "7600[0-9a-f]{8}" "ALIVE2 reply (sent in 3-byte pieces)"
wait_until 5 names_has spl || fail "spl not listed after split ALIVE2"
