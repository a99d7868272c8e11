#!/bin/bash
# 81-etcd-batch: a loop turn's changes go to etcd as one txn.  h1 and h2
# on one etcd; a client registers 500 nodes on h1 at once (tests/sync/
# burst.py).  Every txn raises etcd's revision by one, whatever it holds:
# the revision grows by far fewer than 500 (libevent hands the ready
# sockets over in a few turns; a txn holds at most 128 operations), and h2
# lists all 500.  Then the 500 sockets close at once: the deletions go the
# same way, and h2 lists none.
. "$(dirname "$0")/lib.sh"
. "$SYNC_DIR/../lib/etcd.sh"
etcd_need
on_exit show_logs

N=500
etcd_pair
rev()
{
	etcd_ctl endpoint status -w json | "$PYTHON" -c \
	    'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])'
}
count()
{
	cluster "$1" | grep -c '^b[0-9]*@h1 '
}
r0=$(rev) || fail "no revision from etcd"
burst "${P[0]}" "$N"
wait_until 20 eval '[ "$(count "${P[1]}")" = "$N" ]' ||
    fail "h2 lists $(count "${P[1]}") of the $N nodes"
r1=$(rev)
note "$N registrations: etcd revision +$((r1 - r0))"
[ $((r1 - r0)) -lt 60 ] ||
    fail "$N registrations took $((r1 - r0)) etcd revisions, want < 60"

: >"$TMP/release"
wait_until 20 eval '[ "$(count "${P[1]}")" = 0 ]' ||
    fail "h2 still lists $(count "${P[1]}") of the $N nodes"
r2=$(rev)
note "$N unregistrations: etcd revision +$((r2 - r1))"
[ $((r2 - r1)) -lt 150 ] ||
    fail "$N unregistrations took $((r2 - r1)) etcd revisions, want < 150"
wait_until 10 dead "$BURST" || fail "the burst client did not exit"
