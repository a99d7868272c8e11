#!/bin/bash
# 23-mixed-versions: a rolling upgrade.  h1 runs an older daemon
# (old_epmdx: one that speaks stream version 1 only and sends a heartbeat
# every interval), h2 the daemon under
# test.  h2's stream opens at version 2, h1 closes it unanswered, h2
# dials again at once at version 1.  Checks that both peers become
# established, that each lists the other's node, and that neither
# expires the other over three times ttl (h2's heartbeats, every two
# thirds of ttl on an idle stream, keep the older daemon's origin alive);
# then that 50 more nodes registered on h2 reach h1.
. "$(dirname "$0")/lib.sh"

old_epmdx

read -r -a P <<<"$(free_ports 2)" || fail "no free ports"
A=${P[0]} B=${P[1]}
make_secret "$TMP/secret"
write_conf "$TMP/h1.conf" h1 "127.0.0.1:$B"
write_conf "$TMP/h2.conf" h2 "127.0.0.1:$A"
EPMD=$OLD start_daemon_as h1 "$A" -f "$TMP/h1.conf"
start_daemon_as h2 "$B" -f "$TMP/h2.conf"
hold n1 "$A" 30001
hold n2 "$B" 30002
wait_until 20 peer_in "$A" "127.0.0.1:$B" established ||
    fail "old h1's peer h2 is $(peer_state "$A" "127.0.0.1:$B")"
wait_until 20 peer_in "$B" "127.0.0.1:$A" established ||
    fail "h2's peer old h1 is $(peer_state "$B" "127.0.0.1:$A")"
wait_until 10 cluster_has "$A" n2@h2 30002 || fail "old h1 lacks n2@h2"
wait_until 10 cluster_has "$B" n1@h1 30001 || fail "h2 lacks n1@h1"

end=$(( $(now_ms) + 3 * SYNC_TTL * 1000 ))
while [ "$(now_ms)" -lt "$end" ]; do
	cluster_has "$A" n2@h2 30002 || fail "old h1 expired h2's n2@h2"
	cluster_has "$B" n1@h1 30001 || fail "h2 expired old h1's n1@h1"
	sleep 0.5
done
peer_in "$A" "127.0.0.1:$B" established ||
    fail "old h1's peer h2 became $(peer_state "$A" "127.0.0.1:$B")"
peer_in "$B" "127.0.0.1:$A" established ||
    fail "h2's peer old h1 became $(peer_state "$B" "127.0.0.1:$A")"

for i in $(seq 1 50); do
	hold "m$i" "$B" $((31000 + i))
done
all_there()
{
	[ "$(cluster "$A" | grep -c '^m[0-9]*@h2 ')" = 50 ]
}
wait_until 10 all_there || fail "old h1 lists $(cluster "$A" | grep -c '^m') of 50"
exit 0
