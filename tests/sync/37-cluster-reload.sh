#!/bin/bash
# 37-cluster-reload: a reload that changes `cluster` moves the daemon to
# the other cluster.  h1 and h2 are in cluster blue, h3 in green, all
# listing all three, one secret.  h2 is reloaded with cluster green.
# Checks that h2 logs the restart naming both clusters, drops blue's
# entries (n1) at once rather than by ttl, lists n2 and n3 within a few
# seconds, that h3 lists n2 too, that `epmdxctl status` on h2 says
# green, that h1 loses n2 (by ttl: h2 no longer speaks to it) and keeps
# its own node, and that h2's local node was never dropped.
. "$(dirname "$0")/lib.sh"

read -r -a P <<<"$(free_ports 3)" || fail "no free ports"
make_secret "$TMP/secret"
all="127.0.0.1:${P[0]}, 127.0.0.1:${P[1]}, 127.0.0.1:${P[2]}"
write_conf "$TMP/h1.conf" h1 "$all" "cluster = blue"
write_conf "$TMP/h2.conf" h2 "$all" "cluster = blue"
write_conf "$TMP/h3.conf" h3 "$all" "cluster = green"
for i in 1 2 3; do
	start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
	hold "n$i" "${P[i-1]}" $((30000 + i))
	eval "HP_$i=$HOLD_PID"
done
want()
{
	[ "$(cluster "${P[$1 - 1]}")" = "$(printf '%s\n' "${@:2}")" ]
}
wait_until 15 want 2 "n1@h1 30001" "n2@h2 30002" ||
    fail "h2 did not list n1 and n2 before the reload"
wait_until 15 want 3 "n3@h3 30003" ||
    fail "h3 does not list only n3 before the reload"

write_conf "$TMP/h2.conf" h2 "$all" "cluster = green"
t0=$(now_ms)
kill -HUP "$DPID_h2"
wait_until 5 grep -q "sync: cluster blue -> green: restarting sync" \
    "$(daemon_log h2)" || fail "h2 does not log the cluster change"
wait_until 10 want 2 "n2@h2 30002" "n3@h3 30003" || {
	cluster "${P[1]}"; peers "${P[1]}"
	fail "h2 does not list n2 and n3 after moving to green"
}
note "h2 in green $(( $(now_ms) - t0 )) ms after the reload"
[ $(( $(now_ms) - t0 )) -lt $((SYNC_TTL * 1000)) ] ||
    fail "h2 kept blue's n1 for a ttl or more"
wait_until 10 want 3 "n2@h2 30002" "n3@h3 30003" ||
    fail "h3 does not list n2 after h2 moved to green"
ctl "${P[1]}" status | grep -qx 'cluster *green' ||
    fail "epmdxctl status on h2 does not say green"
wait_until $((SYNC_TTL + 6)) want 1 "n1@h1 30001" || {
	cluster "${P[0]}"
	fail "h1 still lists n2 a ttl after h2 left blue"
}
alive "$DPID_h2" || fail "h2 died"
alive "$HP_2" || fail "n2's registration on h2 was dropped"
exit 0
