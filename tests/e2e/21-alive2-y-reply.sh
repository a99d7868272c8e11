#!/bin/bash
# 21-alive2-y-reply: ALIVE2 with HighestVersion < 6 is answered with the
# 4-byte ALIVE2_RESP 'y', Result 0, Creation:16 = counter % 3 + 1 (1..3),
# where a new name's counter is unix time + 1.
# Reference: epmd-reference.md 1.1 (reply), 1.2 (creation for high < 6).
. "$(dirname "$0")/lib.sh"

start_daemon
for high in 5 1; do
	t0=$(date +%s)
	out=$(wire --register "ynode$high" 4001 --high "$high" --low 1 --timeout 0.5)
	t1=$(date +%s)
	reply=$(sed -n 1p <<<"$out")
	assert_match "$reply" "7900000[1-3]" "ALIVE2 reply for high $high"
	assert_eq "$(sed -n 2p <<<"$out")" "open" "connection after the reply"
	c=$(creation_of "$reply")
	ok=0
	for t in $(seq "$t0" "$t1"); do
		[ "$c" -eq $(( (t + 1) % 3 + 1 )) ] && ok=1
	done
	[ $ok = 1 ] || fail "creation $c, want (unix time + 1) % 3 + 1 for t in [$t0, $t1]"
done
