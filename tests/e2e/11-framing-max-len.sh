#!/bin/bash
# 11-framing-max-len: the largest accepted payload is 3057 bytes. A NAMES
# request 'n' followed by 3056 padding bytes (Len 3057) gets the normal
# 4-byte port header; Len 3058 is closed with no reply, and Len 4096,
# 32767 and 65535 are closed at once, with or without bytes after them.
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

# A larger declared length is refused at once too (no waiting for the
# bytes), with or without some of them.
for len in 1000 7fff ffff; do
	for more in "" "$(printf '6e%.0s' $(seq 100))"; do
		out=$(wire --raw --hex "$len$more" --timeout 3)
		assert_eq "$?" 0 "wire exit for Len 0x$len (0 = closed, 2 = still open)"
		assert_eq "$out" "" "reply to Len 0x$len"
	done
done
daemon_ok
