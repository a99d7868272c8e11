#!/bin/bash
# 12-wrong-secret: h1 and h2 share a secret and list each other; h3 has a
# different secret and lists h1 and h2 as its peers.  Checks that h3 learns
# nothing (its cluster shows only its own node) and injects nothing (h1 and
# h2 never list n3@h3, at any poll), that h3's peers show state refused or
# auth-failed, and that h1's and h2's logs mention the authentication
# failure.
. "$(dirname "$0")/lib.sh"

read -r -a P <<<"$(free_ports 3)" || fail "no free ports"
make_secret "$TMP/secret"
make_secret "$TMP/other"
a=127.0.0.1:${P[0]} b=127.0.0.1:${P[1]}
write_conf "$TMP/h1.conf" h1 "$b"
write_conf "$TMP/h2.conf" h2 "$a"
SECRET=$TMP/other write_conf "$TMP/h3.conf" h3 "$a, $b"
for i in 1 2 3; do
	start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
	hold "n$i" "${P[i-1]}" $((30000 + i))
done

# The two good daemons see each other: the setup works.
good()
{
	cluster_has "${P[0]}" n2@h2 30002 && cluster_has "${P[1]}" n1@h1 30001
}
wait_until 15 good || fail "h1 and h2 (same secret) did not sync"

# For 3 intervals after h3's peers have been refused, at every poll: h1
# and h2 do not list n3@h3, h3 lists only n3@h3.
refused()
{
	peer_in "${P[2]}" "$a" refused auth-failed &&
	    peer_in "${P[2]}" "$b" refused auth-failed
}
wait_until 15 refused || {
	peers "${P[2]}"
	fail "h3's peers (wrong secret) are not refused or auth-failed"
}
end=$(( $(now_ms) + 3000 * SYNC_INTERVAL ))
polls=0
while [ "$(now_ms)" -lt "$end" ]; do
	for i in 1 2; do
		cluster_lacks "${P[i-1]}" n3@h3 ||
		    fail "h$i lists n3@h3, injected by a daemon with the wrong secret"
	done
	out=$(cluster "${P[2]}") || fail "h3 does not answer cluster"
	[ "$out" = "n3@h3 30003" ] ||
	    fail "h3 (wrong secret) learned: $(printf '%s' "$out" | tr '\n' ' ')"
	polls=$((polls + 1))
	sleep 0.2
done
note "$polls polls: nothing crossed the secret boundary"
refused || { peers "${P[2]}"; fail "h3's peers left the refused state"; }

for i in 1 2; do
	grep -qi 'authentication failed' "$(daemon_log "h$i")" || {
		cat "$(daemon_log "h$i")"
		fail "h$i's log does not mention the authentication failure"
	}
done
alive "$DPID_h1" && alive "$DPID_h2" && alive "$DPID_h3" ||
    fail "a daemon died"
exit 0
