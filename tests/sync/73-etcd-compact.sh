#!/bin/bash
# 73-etcd-compact: a watch from a compacted revision.  h1 reaches etcd
# through etcdproxy.py, which on demand drops h1's connections and makes
# its next watch start at revision 1, after etcdctl compact moved past
# it: etcd cancels that watch (compact_revision), h1 reads the cluster
# again and watches from there.  h1's cluster, polled every 20 ms all
# along, never lacks an entry; changes made after the recovery reach it.
. "$(dirname "$0")/lib.sh"
. "$SYNC_DIR/../lib/etcd.sh"
etcd_need
on_exit show_logs

etcd_start e
mkdir -p "$TMP/proxy"
"$PYTHON" "$SYNC_DIR/etcdproxy.py" "${ETCD_URL##*:}" "$TMP/proxy" \
    </dev/null >>"$TMP/proxy.log" 2>&1 &
track_pid $!
wait_until 10 test -s "$TMP/proxy/port" || fail "etcdproxy.py did not start"
PROXY=http://127.0.0.1:$(cat "$TMP/proxy/port")

read -r -a P <<<"$(free_ports 2)" || fail "no free ports"
make_secret "$TMP/secret"
etcd_conf "$TMP/h1.conf" h1 "$PROXY"
etcd_conf "$TMP/h2.conf" h2 "$ETCD_URL"
for i in 1 2; do
	start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
done
hold n1 "${P[0]}" 30001
for k in 1 2 3 4 5; do
	hold "n$k" "${P[1]}" $((30010 + k))
done
MESH_N=2
MESH_WANT=$( (echo "n1@h1 30001"; for k in 1 2 3 4 5; do
	echo "n$k@h2 $((30010 + k))"; done) | sort)
wait_until 20 mesh_converged || fail "no convergence before the compaction"

# Revisions go on (puts elsewhere), then compaction past them all.
for k in 1 2 3 4 5 6; do
	etcd_ctl put "/other/k$k" "v$k" >/dev/null || fail "etcdctl put"
done
rev=$(etcd_ctl get /other/k6 -w json | "$PYTHON" -c \
    'import json,sys; print(json.load(sys.stdin)["header"]["revision"])')
etcd_ctl compact "$rev" >/dev/null || fail "etcdctl compact $rev"

watch_cluster "${P[0]}" 6 "$TMP/watch.out" n1@h1:30001 n1@h2:30011 \
    n2@h2:30012 n3@h2:30013 n4@h2:30014 n5@h2:30015
sleep 0.5
touch "$TMP/proxy/rewind"
compacted()
{
	grep -q "canceled (compacted at $rev)" "$TMP/h1.log"
}
wait_until 10 compacted || fail "h1 never saw its watch canceled for compaction"
hold n6 "${P[1]}" 30016
wait_until 10 cluster_has "${P[0]}" n6@h2 30016 ||
    fail "h1 does not see a node registered after the recovery"
wait_until 10 dead "$WATCH_PID"
read -r res <"$TMP/watch.out"
case $res in
polls=*" missing=0") note "h1 while recovering: $res" ;;
*) fail "h1 lacked entries while recovering: $(cat "$TMP/watch.out")" ;;
esac
exit 0
