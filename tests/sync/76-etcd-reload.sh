#!/bin/bash
# 76-etcd-reload: SIGHUP with etcd settings.  An unchanged [sync] keeps
# the session (same lease); a new advertise is written at once in h1's
# values (RESOLVE on h2 gives it); h1 moved to another cluster (cluster = blue)
# starts a new session: its keys move under /epmdx/blue/, its old lease is
# revoked (its keys leave the default cluster at once, not after ttl), and
# its table holds only its own cluster.  Moved back, all converge again.
. "$(dirname "$0")/lib.sh"
. "$SYNC_DIR/../lib/etcd.sh"
etcd_need
on_exit show_logs

etcd_pair
lease() { etcd_lease /epmdx/default/h1/n1; }
l0=$(lease)

kill -HUP "$DPID_h1"
wait_until 10 grep -q "sync: reloaded" "$TMP/h1.log" || fail "no reload"
sleep 1
assert_eq "$(lease)" "$l0" "h1's lease after a reload that changed nothing"

# Without advertise, h1's address is the one it speaks to etcd from.
addr_of_n1()
{
	ctl "${P[1]}" resolve n1@h1 | sed -n 's/.* address //p'
}
assert_eq "$(addr_of_n1)" 127.0.0.1 "n1@h1's address"
# A new advertise: written again at once, same lease.
etcd_conf "$TMP/h1.conf" h1 "$ETCD_URL" "advertise = 192.0.2.77"
kill -HUP "$DPID_h1"
wait_until 5 test "$(addr_of_n1)" = 192.0.2.77 ||
    fail "n1@h1's address after advertise changed: $(addr_of_n1)"
assert_eq "$(lease)" "$l0" "h1's lease after advertise changed"

etcd_conf "$TMP/h1.conf" h1 "$ETCD_URL" "cluster = blue"
kill -HUP "$DPID_h1"
t0=$(now_ms)
moved()
{
	[ "$(etcd_ctl get --prefix /epmdx/ --keys-only | grep .)" = \
	    "$(printf '/epmdx/blue/h1/n1\n/epmdx/default/h2/n2')" ]
}
wait_until 3 moved || fail "keys not moved within 3 s: $(etcd_ctl get --prefix /epmdx/ --keys-only)"
note "h1's keys moved to cluster blue $(( $(now_ms) - t0 )) ms after SIGHUP"
wait_until 5 test "$(cluster "${P[0]}")" = "n1@h1 30001" ||
    fail "h1 still lists other clusters' nodes: $(cluster "${P[0]}")"
wait_until 3 test "$(cluster "${P[1]}")" = "n2@h2 30002" ||
    fail "h2 still lists h1's node: $(cluster "${P[1]}")"

etcd_conf "$TMP/h1.conf" h1 "$ETCD_URL"
kill -HUP "$DPID_h1"
wait_until 10 mesh_converged || fail "no convergence after moving back"
exit 0
