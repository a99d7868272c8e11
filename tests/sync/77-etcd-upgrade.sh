#!/bin/bash
# 77-etcd-upgrade: a live upgrade (SIGUSR2: the daemon execs itself and
# adopts its registrations) of a daemon on the etcd backend.  The other
# daemon, polled every 20 ms, never lacks the upgraded daemon's node; the
# new program writes it again under a new lease, so it stays when the old
# program's lease runs out; and no connection to etcd crosses the exec.
. "$(dirname "$0")/lib.sh"
. "$SYNC_DIR/../lib/etcd.sh"
etcd_need
on_exit show_logs

etcd_pair
lease() { etcd_lease /epmdx/default/h1/n1; }
l0=$(lease)

watch_cluster "${P[1]}" $((SYNC_TTL + 4)) "$TMP/watch.out" n1@h1:30001
sleep 0.3
kill -USR2 "$DPID_h1"
wait_until 10 grep -q "upgrade: adopted" "$TMP/h1.log" || fail "no upgrade"
wait_until 10 test "$(lease 2>/dev/null)" != "$l0" ||
    fail "n1's key not written again under a new lease"
wait_until $((SYNC_TTL + 10)) dead "$WATCH_PID"
read -r res <"$TMP/watch.out"
case $res in
polls=*" missing=0") note "h2 across h1's upgrade and its old lease's end: $res" ;;
*) fail "h2 lacked n1@h1: $(cat "$TMP/watch.out")" ;;
esac
mesh_converged || fail "tables differ after the upgrade"
# Two connections to etcd per daemon (requests, watch): none crossed the
# exec.
conns=$(ss -tnp state established "( dport = :${ETCD_URL##*:} )" \
    2>/dev/null | grep -c "pid=$DPID_h1," || true)
[ "$conns" -le 2 ] || {
	ss -tnp state established "( dport = :${ETCD_URL##*:} )"
	fail "h1 holds $conns connections to etcd after the upgrade"
}
exit 0
