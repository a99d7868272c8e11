#!/bin/bash
# 19-two-clusters-mesh: two clusters on one static mesh with one secret.
# Four daemons on 127.0.0.1, each listing all four as peers: h1 and h2
# with `cluster = blue`, h3 and h4 without the key (cluster "default",
# what a daemon older than cluster names is).  Checks that h1 and h2 list
# exactly n1 and n2, h3 and h4 exactly n3 and n4, and still so after a
# few intervals; that a dialer sees the other cluster's peers in state
# other-cluster; that both sides log why, naming both clusters (the
# acceptor: "refused stream ... its cluster is X ..., ours is Y", the
# dialer: "refused the stream: its cluster is X, ours is Y"); that
# `epmdxctl status` (text and JSON) shows the cluster; and that /metrics
# has epmdx_sync_info{cluster="blue"} and counts the refusals.
. "$(dirname "$0")/lib.sh"

read -r -a P <<<"$(free_ports 5)" || fail "no free ports"
MP=${P[4]}
make_secret "$TMP/secret"
all="127.0.0.1:${P[0]}, 127.0.0.1:${P[1]}, 127.0.0.1:${P[2]}, 127.0.0.1:${P[3]}"
write_conf "$TMP/h1.conf" h1 "$all" "cluster = blue" "[metrics]" \
    "listen = 127.0.0.1:$MP"
write_conf "$TMP/h2.conf" h2 "$all" "cluster = blue"
write_conf "$TMP/h3.conf" h3 "$all"
write_conf "$TMP/h4.conf" h4 "$all"
for i in 1 2 3 4; do
	start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
	hold "n$i" "${P[i-1]}" $((30000 + i))
done
BLUE=$(printf '%s\n' "n1@h1 30001" "n2@h2 30002")
DEFAULT=$(printf '%s\n' "n3@h3 30003" "n4@h4 30004")

split()
{
	[ "$(cluster "${P[0]}")" = "$BLUE" ] &&
	    [ "$(cluster "${P[1]}")" = "$BLUE" ] &&
	    [ "$(cluster "${P[2]}")" = "$DEFAULT" ] &&
	    [ "$(cluster "${P[3]}")" = "$DEFAULT" ]
}
show()
{
	local i
	for i in 1 2 3 4; do
		echo "h$i cluster:"; cluster "${P[i-1]}" | sed 's/^/  /'
		echo "h$i peers:"; peers "${P[i-1]}" | sed 's/^/  /'
	done
}
wait_until 15 split || { show; fail "the two clusters did not converge apart"; }
sleep $((3 * SYNC_INTERVAL))
split || { show; fail "a node crossed between the clusters"; }

# Each dialer sees the other cluster's daemons as other-cluster.
other()
{
	peer_in "${P[0]}" "127.0.0.1:${P[2]}" other-cluster &&
	    peer_in "${P[0]}" "127.0.0.1:${P[3]}" other-cluster &&
	    peer_in "${P[2]}" "127.0.0.1:${P[0]}" other-cluster &&
	    peer_in "${P[2]}" "127.0.0.1:${P[1]}" other-cluster
}
wait_until 10 other || { show; fail "peers of the other cluster are not in state other-cluster"; }
peer_in "${P[0]}" "127.0.0.1:${P[1]}" established ||
    { show; fail "h1 does not reach h2, of its own cluster"; }

# The logs name both clusters, on both sides.
has()
{
	grep -qF -- "$2" "$(daemon_log "$1")"
}
has h1 "sync: peer=127.0.0.1:${P[2]} refused the stream: its cluster is \"default\", ours is \"blue\"" ||
    fail "h1 (dialer) does not log h3's refusal naming both clusters"
has h3 "sync: peer=127.0.0.1:${P[0]} refused the stream: its cluster is \"blue\", ours is \"default\"" ||
    fail "h3 (dialer) does not log h1's refusal naming both clusters"
has h1 "its cluster is \"default\" (or its version has no cluster names), ours is \"blue\"" ||
    fail "h1 (acceptor) does not log refusing a default-cluster dialer"
has h3 "its cluster is \"blue\", ours is \"default\"" ||
    fail "h3 (acceptor) does not log refusing a blue dialer"
grep -q "sync: started cluster=blue " "$(daemon_log h1)" ||
    fail "h1's start line does not name its cluster"

# Status: text and JSON.
ctl "${P[0]}" status | grep -qx 'cluster *blue' ||
    fail "epmdxctl status on h1 does not show cluster blue"
ctl "${P[2]}" status | grep -qx 'cluster *default' ||
    fail "epmdxctl status on h3 does not show cluster default"
ctl "${P[0]}" --json status | "$PYTHON" -c '
import json, sys
sys.exit(json.load(sys.stdin).get("cluster") != "blue")' ||
    fail "epmdxctl --json status on h1 has no \"cluster\": \"blue\""

# Metrics.
"$PYTHON" -c '
import sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1],
    timeout=5).read().decode()
lines = body.splitlines()
assert "epmdx_sync_info{cluster=\"blue\"} 1" in lines, "no sync info"
n = [l for l in lines if l.startswith("epmdx_sync_refused_clusters_total ")]
assert n and int(n[0].split()[1]) > 0, n
' "$MP" || fail "h1's /metrics lack the cluster info or the refusal count"
exit 0
