#!/bin/bash
# 70-etcd-converge: three daemons with backends = etcd and one real etcd
# converge: each lists every node; a key deleted by hand is written again
# by its daemon.  One killed with -9 (no goodbye, its
# lease just stops being kept alive) leaves every table within ttl + 3 s;
# restarted (a new incarnation, the same host name), it comes back with
# every node it holds, and learns the others' again.
. "$(dirname "$0")/lib.sh"
. "$SYNC_DIR/../lib/etcd.sh"
etcd_need
on_exit show_logs

etcd_start e
N=3
read -r -a P <<<"$(free_ports $N)" || fail "no free ports"
make_secret "$TMP/secret"
# h3 has no secret_file: the etcd backend needs none.
for i in $(seq 1 $N); do
	SECRET=$([ "$i" = 3 ] && echo none) \
	    etcd_conf "$TMP/h$i.conf" "h$i" "$ETCD_URL"
	start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
done
for i in $(seq 1 $N); do
	hold "n$i" "${P[i-1]}" $((30000 + i))
	eval "HPID_$i=$HOLD_PID"
done
# h3 holds a second node, to see every node of a restarted daemon back.
hold "m3" "${P[2]}" 30013
MPID_3=$HOLD_PID
MESH_N=$N
MESH_WANT=$(printf 'm3@h3 30013\nn1@h1 30001\nn2@h2 30002\nn3@h3 30003\n' |
    sort)
t0=$(now_ms)
wait_until 20 mesh_converged || {
	for i in 1 2 3; do echo "h$i:"; cluster "${P[i-1]}"; done
	fail "no convergence through etcd within 20 s"
}
note "converged $(( $(now_ms) - t0 )) ms after the last registration"
for i in 1 2 3; do
	assert_eq "$(peers "${P[i-1]}")" "$ETCD_URL established - etcd" \
	    "h$i's peers"
done
[ "$(etcd_ctl get --prefix /epmdx/default/ --keys-only | grep -c .)" = 4 ] ||
    fail "etcd does not hold the 4 keys: $(etcd_ctl get --prefix /epmdx/ --keys-only)"
# A key deleted behind a daemon's back is written again.
etcd_ctl del /epmdx/default/h1/n1 >/dev/null || fail "etcdctl del"
wait_until 5 test -n "$(etcd_ctl get /epmdx/default/h1/n1 --keys-only)" ||
    fail "h1 did not write its deleted key again"
wait_until 5 mesh_converged || fail "n1@h1 not back everywhere"

kill9 "$DPID_h3" || fail "h3 did not die"
t0=$(now_ms)
stop_pid "$HPID_3"
stop_pid "$MPID_3"
gone_everywhere()
{
	local i
	for i in 1 2; do
		cluster_lacks "${P[i-1]}" n3@h3 || return 1
		cluster_lacks "${P[i-1]}" m3@h3 || return 1
	done
}
limit=$((SYNC_TTL + 3))
wait_until "$limit" gone_everywhere || {
	for i in 1 2; do echo "h$i:"; cluster "${P[i-1]}"; done
	fail "h3's nodes still listed $limit s after its daemon was killed"
}
note "h3's nodes gone everywhere $(( $(now_ms) - t0 )) ms after kill -9 (ttl $SYNC_TTL s)"
for i in 1 2; do
	for j in 1 2; do
		cluster_has "${P[i-1]}" "n$j@h$j" $((30000 + j)) ||
		    fail "h$i lost n$j@h$j along with h3's"
	done
done

start_daemon_as h3 "${P[2]}" -f "$TMP/h3.conf"
t1=$(now_ms)
hold n3 "${P[2]}" 31003
hold m3 "${P[2]}" 31013
MESH_WANT=$(printf 'm3@h3 31013\nn1@h1 30001\nn2@h2 30002\nn3@h3 31003\n' |
    sort)
wait_until 10 mesh_converged || {
	for i in 1 2 3; do echo "h$i:"; cluster "${P[i-1]}"; done
	fail "restarted h3 and its nodes not everywhere within 10 s"
}
note "restarted h3 converged $(( $(now_ms) - t1 )) ms after its restart"
exit 0
