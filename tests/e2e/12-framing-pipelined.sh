#!/bin/bash
# 12-framing-pipelined: two NAMES requests sent in one write get no bytes
# at all: more bytes than Len+2 in the first read close the connection;
# a pipelined ALIVE2 registers nothing.
# Reference: epmd-reference.md 1.0 (one request per connection).
. "$(dirname "$0")/lib.sh"

start_daemon
out=$(wire --raw --hex 00016e00016e)
assert_eq "$?" 0 "wire exit (0 = server closed)"
assert_eq "$out" "" "reply to two pipelined NAMES"
# An ALIVE2 with a NAMES behind it in the same write is not answered and
# registers nothing.
out=$(wire --raw --hex 00127804d24d000006000500057069706531000000016e)
assert_eq "$out" "" "reply to ALIVE2+NAMES"
out=$(wire --str zpipe1)
assert_eq "$out" 7701 "PORT2 of the pipelined ALIVE2's name"
# A single one still works afterwards.
out=$(wire --str n)
assert_eq "$out" "$(hex32 "$PORT")" "reply to one NAMES"
