#!/bin/bash
# 20-alive2-v-reply: ALIVE2 with HighestVersion >= 6 is answered with the
# 6-byte ALIVE2_X_RESP 'v', Result 0, Creation:32, and a brand-new name gets
# creation = unix time + 1. The connection stays open (registered).
# Reference: epmd-reference.md 1.1 (reply), 1.2 (creation).
. "$(dirname "$0")/lib.sh"

start_daemon
for high in 6 7; do
	t0=$(date +%s)
	out=$(wire --register "vnode$high" 4000 --high "$high" --timeout 1)
	rc=$?
	t1=$(date +%s)
	reply=$(sed -n 1p <<<"$out")
	assert_match "$reply" "7600[0-9a-f]{8}" "ALIVE2 reply for high $high"
	assert_eq "$(sed -n 2p <<<"$out")" "open" "connection 1 s after the reply"
	assert_eq "$rc" 2 "wire exit (2 = still open)"
	c=$(creation_of "$reply")
	[ "$c" -ge $((t0 + 1)) ] && [ "$c" -le $((t1 + 1)) ] ||
	    fail "creation $c for a new name, want unix time + 1 in [$((t0 + 1)), $((t1 + 1))]"
done
