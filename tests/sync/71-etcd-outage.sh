#!/bin/bash
# 71-etcd-outage: etcd stopped for longer than ttl, then started again.
# While it is away every daemon keeps serving its local nodes, PEERS says
# "lost" and /metrics counts the seconds; remote entries stay (stale) for
# ttl after the last contact, then go (the rule in epmdx-sync(7)).  A node
# registered and one unregistered during the outage: once etcd is back,
# every daemon has written every local node again under a new lease and
# revoked the old one, so every table holds exactly the nodes alive.
. "$(dirname "$0")/lib.sh"
. "$SYNC_DIR/../lib/etcd.sh"
etcd_need
on_exit show_logs

etcd_start e
N=3
read -r -a P <<<"$(free_ports $((N + 1)))" || fail "no free ports"
MP=${P[N]}
make_secret "$TMP/secret"
for i in $(seq 1 $N); do
	etcd_conf "$TMP/h$i.conf" "h$i" "$ETCD_URL"
done
printf '\n[metrics]\nlisten = 127.0.0.1:%s\n' "$MP" >>"$TMP/h1.conf"
for i in $(seq 1 $N); do
	start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
	hold "n$i" "${P[i-1]}" $((30000 + i))
done
hold m1 "${P[0]}" 30011
M1=$HOLD_PID
MESH_N=$N
MESH_WANT=$(printf 'm1@h1 30011\nn1@h1 30001\nn2@h2 30002\nn3@h3 30003\n' |
    sort)
wait_until 20 mesh_converged || fail "no convergence before the outage"

etcd_stop e
t0=$(now_ms)
lost()
{
	[ "$(peers "${P[0]}")" = "$ETCD_URL lost - etcd" ]
}
wait_until 10 lost || fail "h1's peers do not say lost: $(peers "${P[0]}")"
# Within ttl of the last contact the remote entries are still there.
cluster_has "${P[0]}" n2@h2 30002 ||
    fail "h1 dropped n2@h2 at once: it should keep it for ttl"
# Changes while etcd is away.
stop_pid "$M1"
hold n4 "${P[0]}" 30004
only_local()
{
	[ "$(cluster "${P[0]}")" = "$(printf 'n1@h1 30001\nn4@h1 30004')" ] &&
	[ "$(cluster "${P[1]}")" = "n2@h2 30002" ]
}
limit=$((SYNC_TTL + 4))
wait_until "$limit" only_local || {
	cluster "${P[0]}"; cluster "${P[1]}"
	fail "remote entries still listed $limit s after etcd stopped"
}
note "remote entries gone $(( $(now_ms) - t0 )) ms after etcd stopped (ttl $SYNC_TTL s); local ones served"
lost_s=$(metric "127.0.0.1:$MP" epmdx_sync_etcd_lost_seconds)
[ -n "$lost_s" ] && [ "$lost_s" -ge 1 ] ||
    fail "epmdx_sync_etcd_lost_seconds is \"$lost_s\" during the outage"
assert_eq "$(metric "127.0.0.1:$MP" epmdx_sync_etcd_up)" 0 "etcd_up"
# Longer than ttl: the leases would have run out in a live etcd.
sleep $((SYNC_TTL - 2 > 0 ? SYNC_TTL - 2 : 1))

etcd_start e
t1=$(now_ms)
MESH_WANT=$(printf 'n1@h1 30001\nn2@h2 30002\nn3@h3 30003\nn4@h1 30004\n' |
    sort)
wait_until 20 mesh_converged || {
	for i in 1 2 3; do echo "h$i:"; cluster "${P[i-1]}"; done
	etcd_ctl get --prefix /epmdx/ --keys-only
	fail "no convergence within 20 s of etcd's return"
}
note "converged again $(( $(now_ms) - t1 )) ms after etcd came back"
keys=$(etcd_ctl get --prefix /epmdx/default/ --keys-only | grep . | sort)
assert_eq "$keys" "$(printf '/epmdx/default/h1/n1\n/epmdx/default/h1/n4\n/epmdx/default/h2/n2\n/epmdx/default/h3/n3')" "keys in etcd"
# The old leases are revoked: m1's key does not come back when they would
# have run out, and nothing else goes.
sleep $((SYNC_TTL + 1))
mesh_converged || fail "tables changed after the old leases' time"
assert_eq "$(metric "127.0.0.1:$MP" epmdx_sync_etcd_up)" 1 "etcd_up"
grep -q "contact back" "$TMP/h1.log" || fail "h1 did not log the return"
exit 0
