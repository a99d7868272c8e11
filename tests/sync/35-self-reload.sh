#!/bin/bash
# 35-self-reload: a peer found to be the daemon itself is not written off
# for good: a reload (SIGHUP) dials it again and decides anew.  h1 lists
# its own address; once the peer is "self", SIGHUP: h1 recognises it a
# second time (its log says so twice) and the state is "self" again.
. "$(dirname "$0")/lib.sh"

A=$(free_port) || fail "no free port"
make_secret "$TMP/secret"
me=127.0.0.1:$A
write_conf "$TMP/h1.conf" h1 "$me"
start_daemon_as h1 "$A" -f "$TMP/h1.conf"
wait_until 10 peer_in "$A" "$me" self || fail "h1: $me is $(peer_state "$A" "$me")"
seen()
{
	[ "$(grep -c "peer $me is this daemon" "$(daemon_log h1)")" -ge "$1" ]
}
wait_until 2 seen 1 || fail "h1's log does not say $me is itself"
kill -HUP "$DPID_h1"
wait_until 10 seen 2 || {
	cat "$(daemon_log h1)"
	fail "h1 did not check $me again after a reload"
}
wait_until 5 peer_in "$A" "$me" self || fail "h1: $me is $(peer_state "$A" "$me") after the reload"
exit 0
