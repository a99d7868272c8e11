#!/bin/bash
# 72-etcd-leader: three daemons on a three-member etcd cluster, the
# leader listed first in their etcd_endpoints.  Nodes register on every
# daemon while the leader is killed with -9 halfway: the daemons move to
# the next member, and no registration is lost: every table, and etcd,
# ends up with every node.
. "$(dirname "$0")/lib.sh"
. "$SYNC_DIR/../lib/etcd.sh"
etcd_need
on_exit show_logs

etcd_cluster3
wait_until 20 test -n "$(etcd_leader)" || fail "no etcd leader"
L=$(etcd_leader)
eps=$(eval "echo \$ETCD_URL_$L")
for i in 1 2 3; do
	[ "m$i" = "$L" ] || eps="$eps, $(eval "echo \$ETCD_URL_m$i")"
done
N=3
read -r -a P <<<"$(free_ports $N)" || fail "no free ports"
make_secret "$TMP/secret"
for i in $(seq 1 $N); do
	etcd_conf "$TMP/h$i.conf" "h$i" "$eps"
	start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
done
want=""
for k in $(seq 1 8); do
	for i in $(seq 1 $N); do
		hold "k${k}" "${P[i-1]}" $((30000 + 10 * k + i))
		want="$want$(printf 'k%s@h%s %s' "$k" "$i" $((30000 + 10 * k + i)))"$'\n'
	done
	if [ "$k" = 4 ]; then
		etcd_kill "$L"
		t0=$(now_ms)
		note "killed the leader $L after $((k * N)) registrations"
	fi
done
MESH_N=$N
MESH_WANT=$(printf '%s' "$want" | sort)
wait_until 30 mesh_converged || {
	for i in 1 2 3; do echo "h$i:"; cluster "${P[i-1]}"; done
	fail "no convergence within 30 s of the leader's death"
}
note "converged $(( $(now_ms) - t0 )) ms after the leader was killed"
for i in 1 2 3; do
	[ "m$i" = "$L" ] || ETCD_CTL_URL=$(eval "echo \$ETCD_URL_m$i")
done
n=$(ETCD_CTL_URL=$ETCD_CTL_URL etcd_ctl get --prefix /epmdx/default/ \
    --keys-only | grep -c .)
assert_eq "$n" 24 "keys in etcd"
exit 0
