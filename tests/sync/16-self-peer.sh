#!/bin/bash
# 16-self-peer: one peer list for the whole cluster, so each daemon finds
# its own address in it.  h1 and h2 both list h1 and h2.  Checks that each
# daemon recognises its own address (peer state "self") within a few
# seconds, stops dialing it (the state stays "self" for 3 intervals), and
# still syncs with the other one.
. "$(dirname "$0")/lib.sh"

mesh 2
wait_until 15 cluster_has "${P[0]}" n2@h2 30002 ||
    fail "h1 does not list n2@h2"
wait_until 15 cluster_has "${P[1]}" n1@h1 30001 ||
    fail "h2 does not list n1@h1"

for i in 1 2; do
	me=127.0.0.1:${P[i-1]}
	wait_until 5 peer_in "${P[i-1]}" "$me" self || {
		peers "${P[i-1]}"
		fail "h$i: its own address $me is not in state self after 5 s"
	}
done
end=$(( $(now_ms) + 3000 * SYNC_INTERVAL ))
while [ "$(now_ms)" -lt "$end" ]; do
	for i in 1 2; do
		peer_in "${P[i-1]}" "127.0.0.1:${P[i-1]}" self || {
			peers "${P[i-1]}"
			fail "h$i dials itself again"
		}
	done
	sleep 0.2
done
exit 0
