#!/bin/bash
# 26-alive2-long-name: ALIVE2 names are limited to 255 UTF-8 characters
# (and 1020 bytes): 255 ASCII chars and 255 four-byte chars (1020 bytes)
# register and are listed by NAMES; 256 chars (ASCII or 3-byte) and a
# 1021-byte name get the error reply 76 01 00000063. (PORT2's own limit is
# one less: see 42-port2-invalid-name.)
# Reference: epmd-reference.md 1.1 (check 6), 2 (limits).
. "$(dirname "$0")/lib.sh"

start_daemon
rep() { local i s=; for ((i = 0; i < $2; i++)); do s+=$1; done; printf '%s' "$s"; }

a255=$(rep a 255)
register "$a255" 2550
assert_match "$REG_REPLY" "7600[0-9a-f]{8}" "ALIVE2 reply for a 255-char name"

e255=$(rep '😀' 255)
out=$(wire --register "$e255" 2551 --timeout 0.1)
assert_match "$(sed -n 1p <<<"$out")" "7600[0-9a-f]{8}" "ALIVE2 reply for 255 4-byte chars"

for n in "$(rep a 256)" "$(rep '€' 256)" "$(rep a 1021)"; do
	out=$(wire --register "$n" 2552 --timeout 0.1)
	assert_eq "$(sed -n 1p <<<"$out")" "760100000063" \
	    "ALIVE2 reply for a name of ${#n} chars"
done
out=$(names)
assert_eq "$out" "port $PORT
name $a255 at port 2550" "NAMES after the long names"
