#!/bin/bash
# 15-hosts-file: the `hosts` backend.  Three daemons share one port on
# three loopback addresses (127.0.0.1, .2, .3; each gets its socket passed
# as systemd passes one, since -address always adds 127.0.0.1 too).  h1
# reads a .hosts.erlang listing '127.0.0.2'. and '127.0.0.3'. (no ports: a
# peer is at the local sync port); h2 and h3 list only themselves.  Checks
# that both hosts become h1's established peers, with source "hosts", and
# that their nodes reach h1; then the file is edited to drop 127.0.0.3:
# within a few intervals it leaves h1's peers while 127.0.0.2 stays, and
# once nobody dials anybody between h1 and h3 any more, n3@h3 leaves h1's
# cluster by ttl.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port) || fail "no free port"
# 127.0.0.2 and .3 must be free at that port as well.
"$PYTHON" -c '
import socket, sys
for a in ("127.0.0.2", "127.0.0.3"):
    s = socket.socket(); s.bind((a, int(sys.argv[1]))); s.close()
' "$PORT" 2>/dev/null || skip "127.0.0.2/127.0.0.3 not usable at port $PORT"
make_secret "$TMP/secret"
HF=$TMP/hosts.erlang
printf "%% the cluster's hosts\n'127.0.0.2'.\n'127.0.0.3'.\n" >"$HF"

write_conf "$TMP/h1.conf" h1 "" "backends = hosts" "hosts_file = $HF"
write_conf "$TMP/h2.conf" h2 127.0.0.2 "advertise = 127.0.0.2"
write_conf "$TMP/h3.conf" h3 127.0.0.3 "advertise = 127.0.0.3"
for i in 1 2 3; do
	start_daemon_as "h$i" "127.0.0.$i:$PORT" -f "$TMP/h$i.conf"
	hold "n$i" "127.0.0.$i:$PORT" $((30000 + i))
done
E1=127.0.0.1:$PORT

both()
{
	peer_in "$E1" "127.0.0.2:$PORT" established &&
	    peer_in "$E1" "127.0.0.3:$PORT" established &&
	    cluster_has "$E1" n2@h2 30002 && cluster_has "$E1" n3@h3 30003
}
wait_until 15 both || {
	peers "$E1"; cluster "$E1"
	fail "h1 did not reach both hosts of its hosts file"
}
peers "$E1" | grep -q "^127.0.0.2:$PORT established h2 hosts" || {
	peers "$E1"
	fail "127.0.0.2 is not a peer from the hosts backend with origin h2"
}
# h2 got h1's node through h1's dial: the hosts backend is what connects.
wait_until 10 cluster_has "127.0.0.2:$PORT" n1@h1 30001 ||
    fail "h2 does not list n1@h1"

# Drop 127.0.0.3 from the file (a new file moved in, as editors do).
printf "%% the cluster's hosts\n'127.0.0.2'.\n" >"$HF.new"
mv "$HF.new" "$HF"
t0=$(now_ms)
limit=$((3 * SYNC_INTERVAL + 2))
wait_until "$limit" peer_absent "$E1" "127.0.0.3:$PORT" || {
	peers "$E1"
	fail "127.0.0.3 still among h1's peers $limit s after leaving the file"
}
note "127.0.0.3 left h1's peers $(( $(now_ms) - t0 )) ms after the edit"
peer_in "$E1" "127.0.0.2:$PORT" established || {
	peers "$E1"
	fail "127.0.0.2 (still in the file) is no longer established"
}
grep -q 'hosts=1' "$(daemon_log h1)" || fail "h1's log does not show the re-read"

# Its node then ages out: h1 no longer feeds h3, h3 forgets h1 by ttl and
# stops feeding h1, and h1 forgets h3 by ttl.
limit=$((2 * SYNC_TTL + 6))
wait_until "$limit" cluster_lacks "$E1" n3@h3 || {
	cluster "$E1"; peers "$E1"; peers "127.0.0.3:$PORT"
	fail "n3@h3 still in h1's cluster $limit s after 127.0.0.3 left the file"
}
note "n3@h3 left h1's cluster $(( $(now_ms) - t0 )) ms after the edit"
cluster_has "$E1" n2@h2 30002 || fail "h1 lost n2@h2"
exit 0
