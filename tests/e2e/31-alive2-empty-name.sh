#!/bin/bash
# 31-alive2-empty-name: Nlen = 0 is not rejected when the packet is long
# enough (here 1 byte of Extra): the empty name registers (stock quirk) and
# NAMES shows "name  at port N". Without Extra the packet is 13 bytes and
# is closed with no reply.
# Reference: epmd-reference.md 1.1 (check 6, last bullet; check 2).
. "$(dirname "$0")/lib.sh"

start_daemon
out=$(wire --register '' 1234 --timeout 3)
assert_eq "$out" "
closed 0.00" "empty name, no Extra (13 bytes)"
register '' 1234 --extra 00
assert_match "$REG_REPLY" "7600[0-9a-f]{8}" "ALIVE2 reply for an empty name with Extra"
assert_eq "$(names)" "port $PORT
name  at port 1234" "NAMES with the empty name"
