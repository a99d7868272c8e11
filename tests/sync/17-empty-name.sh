#!/bin/bash
# 17-empty-name: a node registered under the empty name (stock accepts an
# ALIVE2 with Nlen 0 and one byte of Extra) travels through sync like any
# other name and does not stop the entries registered after it.  ha
# registers "" and then "real"; hb must list both
# ("@ha" and "real@ha") within a few seconds, and hb's log must not show
# a stream closed over a bad node name.
. "$(dirname "$0")/lib.sh"

read -r -a P <<<"$(free_ports 2)" || fail "no free ports"
make_secret "$TMP/secret"
write_conf "$TMP/ha.conf" ha "127.0.0.1:${P[1]}"
write_conf "$TMP/hb.conf" hb "127.0.0.1:${P[0]}"
start_daemon_as hb "${P[1]}" -f "$TMP/hb.conf"
start_daemon_as ha "${P[0]}" -f "$TMP/ha.conf"

# The empty name, held by wire.py (tests/lib) (one byte of Extra, as stock requires).
"$PYTHON" "$WIRE" -p "${P[0]}" --register '' 30001 \
    --extra 00 --timeout 100 >"$TMP/empty.out" 2>&1 </dev/null &
track_pid $!
wait_until 10 grep -qs . "$TMP/empty.out" ||
    fail "no ALIVE2 reply for the empty name"
grep -q '^7600' "$TMP/empty.out" ||
    fail "ALIVE2 of the empty name refused: $(cat "$TMP/empty.out")"
hold real "${P[0]}" 30002

wait_until 10 cluster_has "${P[1]}" real@ha 30002 || {
	cluster "${P[1]}"; peers "${P[1]}"
	tail -5 "$(daemon_log hb)"
	fail "hb does not list real@ha 10 s after its registration"
}
cluster_has "${P[1]}" @ha 30001 || {
	cluster "${P[1]}"
	fail "hb does not list the empty name @ha"
}
! grep -q 'bad node name' "$(daemon_log hb)" ||
    fail "hb closed a stream over a bad node name"
exit 0
