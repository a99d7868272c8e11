#!/bin/bash
# 23-alive2-nul-name: an ALIVE2 whose name contains a NUL byte (inside, or a
# trailing NUL counted in Nlen) is closed with no reply and registers
# nothing.
# Reference: epmd-reference.md 1.1 (check 5).
. "$(dirname "$0")/lib.sh"

start_daemon
for n in 'a\x00b' 'abc\x00' '\x00'; do
	out=$(wire --register "$n" 1234 --timeout 3)
	rc=$?
	assert_eq "$out" "
closed 0.00" "wire output for name '$n' (no reply, then closed)"
	assert_eq "$rc" 0 "wire exit for name '$n' (0 = closed)"
done
assert_eq "$(wire --str n)" "$(hex32 "$PORT")" "NAMES after NUL names"
