#!/bin/bash
# 78-etcd-clusters: two clusters (cluster = red, cluster = blue) with the
# same secret on one etcd, and one daemon of each with the same host name:
# each daemon lists only its own cluster's nodes; the keys live apart.
. "$(dirname "$0")/lib.sh"
. "$SYNC_DIR/../lib/etcd.sh"
etcd_need
on_exit show_logs

etcd_start e
read -r -a P <<<"$(free_ports 4)" || fail "no free ports"
make_secret "$TMP/secret"
etcd_conf "$TMP/r1.conf" h1 "$ETCD_URL" "cluster = red"
etcd_conf "$TMP/r2.conf" h2 "$ETCD_URL" "cluster = red"
etcd_conf "$TMP/b1.conf" h1 "$ETCD_URL" "cluster = blue"
etcd_conf "$TMP/b3.conf" h3 "$ETCD_URL" "cluster = blue"
i=0
for d in r1 r2 b1 b3; do
	start_daemon_as "$d" "${P[i]}" -f "$TMP/$d.conf"
	hold "$d" "${P[i]}" $((30000 + i))
	i=$((i + 1))
done
red=$(printf 'r1@h1 30000\nr2@h2 30001')
blue=$(printf 'b1@h1 30002\nb3@h3 30003')
both()
{
	[ "$(cluster "${P[0]}")" = "$red" ] &&
	[ "$(cluster "${P[1]}")" = "$red" ] &&
	[ "$(cluster "${P[2]}")" = "$blue" ] &&
	[ "$(cluster "${P[3]}")" = "$blue" ]
}
wait_until 20 both || {
	for i in 0 1 2 3; do echo "${P[i]}:"; cluster "${P[i]}"; done
	fail "the clusters did not converge apart"
}
sleep 2
both || fail "the clusters mixed later"
assert_eq "$(etcd_ctl get --prefix /epmdx/ --keys-only | grep .)" \
    "$(printf '/epmdx/blue/h1/b1\n/epmdx/blue/h3/b3\n/epmdx/red/h1/r1\n/epmdx/red/h2/r2')" \
    "keys in etcd"
exit 0
