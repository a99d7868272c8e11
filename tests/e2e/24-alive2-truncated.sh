#!/bin/bash
# 24-alive2-truncated: malformed ALIVE2 lengths are closed with no reply:
# a 13-byte payload (minimum is 14), Nlen past the end of the packet, Elen
# past the end. The same 14-byte payload with the last byte present works.
# Reference: epmd-reference.md 1.1 (checks 2-4).
. "$(dirname "$0")/lib.sh"

start_daemon
# 'x' port type proto high low Nlen=1 'a' Elen(1 of 2 bytes)
out=$(wire --hex 7804d24d000006000500016100 --timeout 3)
assert_eq "$?" 0 "wire exit for a 13-byte ALIVE2 (0 = closed)"
assert_eq "$out" "" "reply to a 13-byte ALIVE2"

# Nlen 10 but 3 name bytes.
out=$(wire --register abc 1234 --nlen 10 --timeout 3)
assert_eq "$out" "
closed 0.00" "Nlen beyond the packet"
# Elen 5 but 2 extra bytes.
out=$(wire --register abc 1234 --extra 0102 --elen 5 --timeout 3)
assert_eq "$out" "
closed 0.00" "Elen beyond the packet"
assert_eq "$(wire --str n)" "$(hex32 "$PORT")" "NAMES after malformed ALIVE2s"

# 14 bytes: the smallest valid ALIVE2 (name "a", no extra).
out=$(wire --hex 7804d24d00000600050001610000 --timeout 0.5)
assert_eq "$?" 2 "wire exit for a 14-byte ALIVE2 (2 = kept open)"
assert_match "$out" "7600[0-9a-f]{8}" "reply to a 14-byte ALIVE2"
