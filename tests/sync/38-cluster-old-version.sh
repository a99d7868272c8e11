#!/bin/bash
# 38-cluster-old-version: a daemon older than cluster names, beside this
# version (old_epmdx: EPMDX_OLD, else commit 1c6074b built from this
# clone's history).  h1 runs it,
# h2 this version without `cluster` (so "default"), h3 this version with
# `cluster = blue`; one secret, each listing all three.  Checks that h1
# and h2 sync as before (n1 and n2 on both), that h3 lists only n3, that
# h3 logs refusing h1's stream as of cluster "default" (or older), and
# that h1 sees h3 close its streams before their HELLO.
. "$(dirname "$0")/lib.sh"

old_epmdx

read -r -a P <<<"$(free_ports 3)" || fail "no free ports"
make_secret "$TMP/secret"
all="127.0.0.1:${P[0]}, 127.0.0.1:${P[1]}, 127.0.0.1:${P[2]}"
write_conf "$TMP/h1.conf" h1 "$all"
write_conf "$TMP/h2.conf" h2 "$all"
write_conf "$TMP/h3.conf" h3 "$all" "cluster = blue"
EPMD=$OLD start_daemon_as h1 "${P[0]}" -f "$TMP/h1.conf"
start_daemon_as h2 "${P[1]}" -f "$TMP/h2.conf"
start_daemon_as h3 "${P[2]}" -f "$TMP/h3.conf"
for i in 1 2 3; do
	hold "n$i" "${P[i-1]}" $((30000 + i))
done
OLD=$(printf '%s\n' "n1@h1 30001" "n2@h2 30002")
both()
{
	[ "$(cluster "${P[0]}")" = "$OLD" ] &&
	    [ "$(cluster "${P[1]}")" = "$OLD" ] &&
	    [ "$(cluster "${P[2]}")" = "n3@h3 30003" ]
}
wait_until 15 both || {
	for i in 1 2 3; do
		echo "h$i:"; cluster "${P[i-1]}"; peers "${P[i-1]}"
	done
	fail "the old daemon and the default cluster did not sync apart from blue"
}
wait_until 10 grep -qF "its cluster is \"default\" (or its version has no cluster names), ours is \"blue\"" \
    "$(daemon_log h3)" || fail "h3 does not log refusing the old daemon"
wait_until 10 grep -q "peer closed the stream before its HELLO.* peer=127.0.0.1:${P[2]}$" \
    "$(daemon_log h1)" || fail "the old daemon does not log h3 closing"
exit 0
