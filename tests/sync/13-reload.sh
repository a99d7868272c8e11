#!/bin/bash
# 13-reload: SIGHUP with a changed static peer list.  h1 starts with peers
# h2 and h4; it is reloaded with peers h2 and h3.  Checks that h1's cluster
# keeps its local node and h2's at every poll (one every 20 ms from 1 s
# before the reload to 3 s after), still has h4's right after it (a dropped
# peer's entries go by ttl, not at reload), that h3, the added peer, is
# dialed and its node appears, that h4, the removed peer, leaves h1's
# `peers`, and that h2 is still an established peer.  h3 and h4 list only
# themselves, so h1 learns of them only from its own config.
. "$(dirname "$0")/lib.sh"

read -r -a P <<<"$(free_ports 4)" || fail "no free ports"
make_secret "$TMP/secret"
for i in 1 2 3 4; do
	A[i]=127.0.0.1:${P[i-1]}
done
write_conf "$TMP/h1.conf" h1 "${A[2]}, ${A[4]}"
write_conf "$TMP/h2.conf" h2 "${A[1]}"
write_conf "$TMP/h3.conf" h3 "${A[3]}"
write_conf "$TMP/h4.conf" h4 "${A[4]}"
for i in 1 2 3 4; do
	start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
	hold "n$i" "${P[i-1]}" $((30000 + i))
done

before=$(printf '%s\n' "n1@h1 30001" "n2@h2 30002" "n4@h4 30004")
wait_until 15 eval '[ "$(cluster "${P[0]}")" = "$before" ]' || {
	cluster "${P[0]}"
	fail "h1 did not list n1, n2, n4 before the reload"
}
wait_until 10 peer_in "${P[0]}" "${A[2]}" established ||
    fail "h1's stream to h2 not established"
peer_absent "${P[0]}" "${A[3]}" || fail "h1 knows h3 before the reload"

# keeps_old: h1 lists its own node and h2's, ports unchanged.
keeps_old()
{
	local out
	out=$(cluster "${P[0]}") || return 1
	printf '%s\n' "$out" | grep -qxF "n1@h1 30001" &&
	    printf '%s\n' "$out" | grep -qxF "n2@h2 30002"
}

# A watcher polls h1's cluster every 20 ms from 1 s before the reload to
# 3 s after it.
watch_cluster "${P[0]}" 4 "$TMP/watch" n1@h1:30001 n2@h2:30002
sleep 1
write_conf "$TMP/h1.conf" h1 "${A[2]}, ${A[3]}"
kill -HUP "$DPID_h1"
t0=$(now_ms)
polls=0 seen_h4=0
while :; do
	out=$(cluster "${P[0]}") || fail "h1 stopped answering during the reload"
	printf '%s\n' "$out" | grep -qxF "n1@h1 30001" ||
	    fail "h1 lost its local node during the reload: $(echo $out)"
	printf '%s\n' "$out" | grep -qxF "n2@h2 30002" ||
	    fail "h1 lost n2@h2 (a kept peer) during the reload: $(echo $out)"
	[ $polls = 0 ] && printf '%s\n' "$out" | grep -qxF "n4@h4 30004" &&
	    seen_h4=1
	polls=$((polls + 1))
	printf '%s\n' "$out" | grep -qxF "n3@h3 30003" && break
	[ "$(now_ms)" -ge $((t0 + 10000)) ] &&
	    fail "n3@h3 (added peer) not listed by h1 10 s after the reload"
	sleep 0.1
done
note "n3@h3 listed $(( $(now_ms) - t0 )) ms after SIGHUP ($polls polls, old entries kept at each)"
[ $seen_h4 = 1 ] || fail "h1 dropped n4@h4 at once on reload; entries should go by ttl"
grep -q "configuration reloaded" "$(daemon_log h1)" ||
    fail "h1's log does not say the configuration was reloaded"

wait_until 5 peer_absent "${P[0]}" "${A[4]}" || {
	peers "${P[0]}"
	fail "h4 (removed from the config) still among h1's peers"
}
peer_in "${P[0]}" "${A[3]}" established || {
	peers "${P[0]}"
	fail "h3 (added) is not an established peer of h1"
}
peer_in "${P[0]}" "${A[2]}" established || {
	peers "${P[0]}"
	fail "h2 (kept) is no longer established"
}

wait_until 10 grep -qs '^polls=' "$TMP/watch" || fail "the watcher did not finish"
note "watcher: $(head -n 1 "$TMP/watch")"
grep -q '^polls=[1-9][0-9]* missing=0$' "$TMP/watch" || {
	cat "$TMP/watch"
	fail "some poll around the reload lacked n1@h1 or n2@h2"
}

# A few more intervals: the old entries stay put.
end=$(( $(now_ms) + 2000 * SYNC_INTERVAL ))
while [ "$(now_ms)" -lt "$end" ]; do
	keeps_old || fail "h1 lost n1@h1 or n2@h2 after the reload"
	sleep 0.2
done
exit 0
