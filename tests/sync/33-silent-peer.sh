#!/bin/bash
# 33-silent-peer: a peer that answers the opening of h1's stream and then
# says nothing (no HELLO) must not pin h1's stream to it: h1 closes the
# stream within its 5-second handshake deadline (+1 s slack), counts it
# in epmdx_sync_handshake_timeouts_total, and dials it again.
. "$(dirname "$0")/lib.sh"

read -r -a P <<<"$(free_ports 3)" || fail "no free ports"
A=${P[0]} L=${P[1]} M=${P[2]}
make_secret "$TMP/secret"
"$PYTHON" "$SYNC_DIR/rawsync.py" silent "$L" "$TMP/silent.log" 60 answer \
    </dev/null >"$TMP/silent.out" 2>&1 &
track_pid $!
wait_until 5 grep -qs '^listening' "$TMP/silent.log" ||
    fail "silent listener not up: $(cat "$TMP/silent.out")"
write_conf "$TMP/h1.conf" h1 "127.0.0.1:$L" "[metrics]" "listen = 127.0.0.1:$M"
start_daemon_as h1 "$A" -f "$TMP/h1.conf"

wait_until 12 grep -q '^closed' "$TMP/silent.log" || {
	cat "$TMP/silent.log"
	peers "$A"
	fail "h1 kept its stream to a silent peer open for 12 s"
}
dur=$(awk '/^closed/ { print $3; exit }' "$TMP/silent.log")
note "stream to the silent peer closed after $dur s"
awk -v d="$dur" 'BEGIN { exit !(d <= 6.0) }' ||
    fail "closed after $dur s, want within 6 s"
to=$(metric "127.0.0.1:$M" epmdx_sync_handshake_timeouts_total)
[ -n "$to" ] && [ "$to" -ge 1 ] ||
    fail "epmdx_sync_handshake_timeouts_total is '$to', want >= 1"
wait_until 5 sh -c "[ \$(grep -c '^open' '$TMP/silent.log') -ge 2 ]" ||
    fail "h1 did not dial the peer again"
exit 0
