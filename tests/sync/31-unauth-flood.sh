#!/bin/bash
# 31-unauth-flood: 1,200 sync streams that never authenticate (an opening,
# then silence), from 200 addresses 127.0.0.10-209, kept open against h1
# (closed ones are opened again at once) while h1 and h2 sync.  Checks
# that h2's established stream to h1 is never evicted (h1 keeps n2@h2 at
# every poll, beyond ttl), and that when h2 restarts, its new stream finds
# a slot: h1 lists h2's new node within 10 s, flood still running, and
# epmdx_sync_handshake_evictions_total counts the streams that gave way.
. "$(dirname "$0")/lib.sh"

read -r -a P <<<"$(free_ports 3)" || fail "no free ports"
A=${P[0]} B=${P[1]} M=${P[2]}
make_secret "$TMP/secret"
write_conf "$TMP/h1.conf" h1 "127.0.0.1:$B" "[metrics]" "listen = 127.0.0.1:$M"
write_conf "$TMP/h2.conf" h2 "127.0.0.1:$A"
start_daemon_as h1 "$A" -f "$TMP/h1.conf"
start_daemon_as h2 "$B" -f "$TMP/h2.conf"
hold n2 "$B" 30002
wait_until 15 cluster_has "$A" n2@h2 30002 || fail "h1 does not list n2@h2"

"$PYTHON" "$SYNC_DIR/rawsync.py" flood "$A" 10 200 6 30 "$TMP/flood" \
    </dev/null >"$TMP/flood.out" 2>&1 &
FLOOD=$!
track_pid $FLOOD
wait_until 15 test -s "$TMP/flood" || fail "the flood did not open its streams"
note "flood: $(head -n 1 "$TMP/flood") streams open"

# For ttl + 2 intervals: the authenticated stream stays, entries stay.
end=$(( $(now_ms) + (SYNC_TTL + 2 * SYNC_INTERVAL) * 1000 ))
while [ "$(now_ms)" -lt "$end" ]; do
	cluster_has "$A" n2@h2 30002 ||
	    fail "h1 lost n2@h2 under the flood"
	sleep 0.3
done

# A real peer that dials now gets in.
stop_pid "$DPID_h2"
start_daemon_as h2 "$B" -f "$TMP/h2.conf"
hold n2b "$B" 30012
wait_until 10 cluster_has "$A" n2b@h2 30012 || {
	peers "$B"
	fail "h2's new stream found no slot on h1 under the flood"
}
alive "$FLOOD" || fail "the flood ended early: $(cat "$TMP/flood.out")"
ev=$(metric "127.0.0.1:$M" epmdx_sync_handshake_evictions_total)
note "epmdx_sync_handshake_evictions_total=$ev"
[ -n "$ev" ] && [ "$ev" -gt 0 ] || fail "no eviction counted under the flood"
alive "$DPID_h1" || fail "h1 died"
exit 0
