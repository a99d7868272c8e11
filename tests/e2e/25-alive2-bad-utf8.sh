#!/bin/bash
# 25-alive2-bad-utf8: a name that is not valid UTF-8 (stray byte, overlong
# encoding, surrogate, truncated sequence, 5-byte form) gets the error reply
# 76 01 00000063 and registers nothing; a valid multi-byte name registers.
# Reference: epmd-reference.md 1.1 (check 6: verify_utf8).
. "$(dirname "$0")/lib.sh"

start_daemon
for n in '\xff' 'a\xc0\x80' '\xc1\xbf' '\xed\xa0\x80' '\xe2\x82' '\xf8\x88\x80\x80\x80' \
    '\xf4\x90\x80\x80' 'ok\x80'; do
	out=$(wire --register "$n" 1234 --timeout 0.1)
	assert_eq "$(sed -n 1p <<<"$out")" "760100000063" "ALIVE2 reply for name '$n'"
done
assert_eq "$(wire --str n)" "$(hex32 "$PORT")" "NAMES after invalid names"

out=$(wire --register 'h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80' 1234 --timeout 0.1)
assert_match "$(sed -n 1p <<<"$out")" "7600[0-9a-f]{8}" "ALIVE2 reply for a valid UTF-8 name"
