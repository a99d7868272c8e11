#!/bin/bash
# 30-self-replay: the random of a daemon's own dial travels in clear, so an
# observer can present it back.  h1 dials h2 through a forwarding proxy
# that records the opening's random (the observer); the test then opens a
# stream to h1 with that random.  Checks that h1 does not take its real
# peer for itself: the peer stays "established", never "self", and once
# its stream is cut (h2 restarts) h1 dials it again (the proxy sees a
# second opening) and gets it established.  "self" is decided only from
# an authenticated HELLO.
. "$(dirname "$0")/lib.sh"

read -r -a P <<<"$(free_ports 3)" || fail "no free ports"
A=${P[0]} B=${P[1]} PX=${P[2]}
make_secret "$TMP/secret"
write_conf "$TMP/h1.conf" h1 "127.0.0.1:$PX"
write_conf "$TMP/h2.conf" h2 "127.0.0.1:$A"
"$PYTHON" "$SYNC_DIR/rawsync.py" proxy "$PX" "$B" "$TMP/randoms" 60 \
    </dev/null >"$TMP/proxy.log" 2>&1 &
track_pid $!
start_daemon_as h2 "$B" -f "$TMP/h2.conf"
start_daemon_as h1 "$A" -f "$TMP/h1.conf"
hold n2 "$B" 30002
wait_until 15 cluster_has "$A" n2@h2 30002 || fail "h1 does not list n2@h2"
wait_until 5 peer_in "$A" "127.0.0.1:$PX" established ||
    fail "h1's peer 127.0.0.1:$PX is $(peer_state "$A" "127.0.0.1:$PX")"
[ -s "$TMP/randoms" ] || fail "the proxy saw no opening"

# The replay: h1's own live random, presented to h1.
rand=$(tail -n 1 "$TMP/randoms")
"$PYTHON" "$SYNC_DIR/rawsync.py" replay "$A" "$rand" >"$TMP/replay.out" ||
    fail "replay client failed"
note "replayed opening: $(cat "$TMP/replay.out")"
end=$(( $(now_ms) + 2000 ))
while [ "$(now_ms)" -lt "$end" ]; do
	st=$(peer_state "$A" "127.0.0.1:$PX")
	[ "$st" = self ] && fail "h1 marked its real peer as itself after a replayed random"
	sleep 0.1
done

# The stream is cut: h1 must dial again (a "self" peer never is).
stop_pid "$DPID_h2"
start_daemon_as h2 "$B" -f "$TMP/h2.conf"
wait_until 10 sh -c "[ \$(wc -l <'$TMP/randoms') -ge 2 ]" || {
	peers "$A"
	fail "h1 did not dial its peer again after the replay"
}
wait_until 10 peer_in "$A" "127.0.0.1:$PX" established ||
    fail "h1's peer is $(peer_state "$A" "127.0.0.1:$PX") after the redial"
exit 0
