#!/bin/bash
# 21-batch-1000: changes of one loop turn travel as one frame per peer.
# h1 and h2 sync; a client opens 1000 connections to h1, then writes an
# ALIVE2 on each at once and reads the 1000 replies.  Checks that h2
# lists all 1000 nodes, and that h1 sent them to h2 in far fewer frames
# than changes: epmdx_sync_frames_received_total on h2 (and sent on h1)
# grows by less than 100 (libevent hands the ready sockets over in a few
# turns, 32 then 64... at a time; each turn is one frame, heartbeats
# aside).  Then the client exits, its 1000 sockets closing at once: the
# unregistrations go the same way (in under 250 frames: the closes reach
# the daemon over more turns), and h2 lists none of them.
. "$(dirname "$0")/lib.sh"

N=1000
read -r -a P <<<"$(free_ports 4)" || fail "no free ports"
A=${P[0]} B=${P[1]} MA=${P[2]} MB=${P[3]}
make_secret "$TMP/secret"
write_conf "$TMP/h1.conf" h1 "127.0.0.1:$B" "[metrics]" "listen = 127.0.0.1:$MA"
write_conf "$TMP/h2.conf" h2 "127.0.0.1:$A" "[metrics]" "listen = 127.0.0.1:$MB"
start_daemon_as h1 "$A" -f "$TMP/h1.conf"
start_daemon_as h2 "$B" -f "$TMP/h2.conf"
wait_until 15 peer_in "$A" "127.0.0.1:$B" established ||
    fail "h1's peer h2 is $(peer_state "$A" "127.0.0.1:$B")"
wait_until 15 peer_in "$B" "127.0.0.1:$A" established ||
    fail "h2's peer h1 is $(peer_state "$B" "127.0.0.1:$A")"

# count EP: how many bN@h1 nodes EP's cluster lists.
count()
{
	cluster "$1" | grep -c '^b[0-9]*@h1 '
}

rx0=$(metric "127.0.0.1:$MB" epmdx_sync_frames_received_total)
tx0=$(metric "127.0.0.1:$MA" epmdx_sync_frames_sent_total)
[ -n "$rx0" ] && [ -n "$tx0" ] || fail "no frame counters in /metrics"

# The burst: connect all, then one ALIVE2 on each, then the replies;
# hold them until "release" appears, then close them all at once.
burst "$A" "$N"

have=0
all_there()
{
	have=$(count "127.0.0.1:$B")
	[ "$have" = "$N" ]
}
wait_until 15 all_there || fail "h2 lists $have of the $N nodes"
rx1=$(metric "127.0.0.1:$MB" epmdx_sync_frames_received_total)
tx1=$(metric "127.0.0.1:$MA" epmdx_sync_frames_sent_total)
note "$N registrations: h2 received $((rx1 - rx0)) frames, h1 sent $((tx1 - tx0))"
[ $((rx1 - rx0)) -lt 100 ] ||
    fail "h2 received $((rx1 - rx0)) frames for $N registrations, want < 100"
[ $((tx1 - tx0)) -lt 100 ] ||
    fail "h1 sent $((tx1 - tx0)) frames for $N registrations, want < 100"

: >"$TMP/release"
none_there()
{
	have=$(count "127.0.0.1:$B")
	[ "$have" = 0 ]
}
wait_until 15 none_there || fail "h2 still lists $have of the $N nodes"
rx2=$(metric "127.0.0.1:$MB" epmdx_sync_frames_received_total)
note "$N unregistrations: h2 received $((rx2 - rx1)) frames"
[ $((rx2 - rx1)) -lt 250 ] ||
    fail "h2 received $((rx2 - rx1)) frames for $N unregistrations, want < 250"
wait_until 10 dead "$BURST" || fail "the burst client did not exit"
exit 0
