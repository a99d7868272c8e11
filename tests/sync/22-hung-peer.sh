#!/bin/bash
# 22-hung-peer: a daemon that hangs (SIGSTOP: its kernel still accepts
# and acknowledges, its process says nothing) is dropped within ttl in
# both directions.  h1 and h2 sync, each holding a node; h2 is stopped.
# Checks that within ttl + 2 s h1 no longer lists n2@h2 (the acceptor
# side: h2's stream to h1 fell silent), h1's dialled stream to h2 is no
# longer "established" (the dialer side: TCP alone would keep it, the
# peer's kernel acknowledging), and h1 holds no inbound stream from h2.
# Then h2 resumes: both streams come back and n2@h2 is listed again.
. "$(dirname "$0")/lib.sh"

read -r -a P <<<"$(free_ports 3)" || fail "no free ports"
A=${P[0]} B=${P[1]} MA=${P[2]}
make_secret "$TMP/secret"
write_conf "$TMP/h1.conf" h1 "127.0.0.1:$B" "[metrics]" "listen = 127.0.0.1:$MA"
write_conf "$TMP/h2.conf" h2 "127.0.0.1:$A"
start_daemon_as h1 "$A" -f "$TMP/h1.conf"
start_daemon_as h2 "$B" -f "$TMP/h2.conf"
H2=$DPID_h2
on_exit "kill -CONT $H2 2>/dev/null"
hold n1 "$A" 30001
hold n2 "$B" 30002
wait_until 15 cluster_has "$A" n2@h2 30002 || fail "h1 never listed n2@h2"
wait_until 15 peer_in "$A" "127.0.0.1:$B" established ||
    fail "h1's peer h2 is $(peer_state "$A" "127.0.0.1:$B")"

kill -STOP "$H2" || fail "cannot stop h2"
t0=$(now_ms)
lim=$((SYNC_TTL + 2))
dropped()
{
	cluster_lacks "$A" n2@h2 || return 1
	peer_in "$A" "127.0.0.1:$B" established && return 1
	[ "$(metric "127.0.0.1:$MA" epmdx_sync_inbound_streams)" = 0 ]
}
wait_until "$lim" dropped || {
	cluster "$A"; peers "$A"
	fail "h2 hung: not dropped both ways by h1 within $lim s (inbound" \
	    "streams $(metric "127.0.0.1:$MA" epmdx_sync_inbound_streams))"
}
note "hung h2 dropped both ways $(( $(now_ms) - t0 )) ms after it stopped (ttl $SYNC_TTL s)"
cluster_has "$A" n1@h1 30001 || fail "h1 lost its own n1@h1"

kill -CONT "$H2" || fail "cannot resume h2"
wait_until 40 cluster_has "$A" n2@h2 30002 ||
    fail "resumed h2's n2@h2 not listed on h1 again"
wait_until 40 peer_in "$A" "127.0.0.1:$B" established ||
    fail "h1's peer h2 is $(peer_state "$A" "127.0.0.1:$B") after h2 resumed"
exit 0
