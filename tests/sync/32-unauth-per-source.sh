#!/bin/bash
# 32-unauth-per-source: one source address may hold at most 8 sync streams
# that have not yet authenticated.  20 openings from 127.0.0.7, each
# answered, then silence: the 12 oldest are closed and the 8 newest stay
# open, and epmdx_sync_handshake_evictions_total says 12; another source
# (127.0.0.8) still gets its opening answered.
. "$(dirname "$0")/lib.sh"

read -r A M <<<"$(free_ports 2)" || fail "no free ports"
make_secret "$TMP/secret"
write_conf "$TMP/h1.conf" h1 "127.0.0.1:1" "[metrics]" "listen = 127.0.0.1:$M"
start_daemon_as h1 "$A" -f "$TMP/h1.conf"

"$PYTHON" "$SYNC_DIR/rawsync.py" cap "$A" 7 20 1 >"$TMP/cap.out" ||
    fail "cap client failed"
read -r counts <"$TMP/cap.out"
closed=$(sed -n 2p "$TMP/cap.out")
note "from 127.0.0.7: $counts (closed: $closed)"
[ "$counts" = "open=8 closed=12" ] || fail "want open=8 closed=12, got $counts"
[ "$closed" = "0 1 2 3 4 5 6 7 8 9 10 11" ] ||
    fail "the oldest were not the ones closed: $closed"
ev=$(metric "127.0.0.1:$M" epmdx_sync_handshake_evictions_total)
[ "$ev" = 12 ] || fail "epmdx_sync_handshake_evictions_total is '$ev', want 12"
"$PYTHON" "$SYNC_DIR/rawsync.py" cap "$A" 8 1 0 >"$TMP/cap8.out" ||
    fail "cap client failed"
[ "$(head -n 1 "$TMP/cap8.out")" = "open=1 closed=0" ] ||
    fail "another source was refused: $(cat "$TMP/cap8.out")"
alive "$DPID_h1" || fail "h1 died"
exit 0
