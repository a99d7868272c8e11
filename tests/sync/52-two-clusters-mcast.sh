#!/bin/bash
#
# 52-two-clusters-mcast: two clusters, one secret, one multicast group.
#
# Two "hosts" (network namespaces) on a bridge in a third, addresses in
# 10.213.2.0/24 and a multicast route; nothing outside these namespaces
# is touched.  Each host runs two daemons with backends = mcast, one
# secret and the default group: on port 4369 h1 (host 1) and h2 (host 2)
# with `cluster = blue`; on port 4372 h3 (host 1) and h4 (host 2) without
# the key (cluster "default", whose datagrams are as daemons older than
# cluster names send them).  Each holds one node (wire.py).
#
# Checks: h1 and h2 find each other and list exactly n1 and n2, h3 and h4
# exactly n3 and n4 (same host or not); nobody has a peer of the other
# cluster; each logs that it ignores the other cluster's datagrams, naming
# both, and none logs an unauthenticated datagram; `epmdxctl status` says
# each one's cluster.
#
# Needs root (ip netns).  Exits 77 (skip) without it.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/netns.sh"
WAIT=20
on_exit show_logs
[ "$(id -u)" = 0 ] || skip "needs root for ip netns"
netns_hosts 2 10.213.2
netns_multicast

# ns N: host N's namespace.
ns()
{
	printf '%s-h%s\n' "$NS_PRE" "$1"
}

make_secret "$TMP/secret"

# start NAME HOST PORT [LINE...]: a mcast daemon in HOST's namespace
# (pid in PID_NAME), holding node nK (K the digit of NAME) on 3000K.
start()
{
	local name=$1 host=$2 port=$3 l k=${1#h}
	shift 3
	{
		printf '[sync]\nbackends = mcast\nhostname = %s\n' "$name"
		printf 'secret_file = %s\nttl = 4\ninterval = 1\n' "$TMP/secret"
		printf 'mcast_interface = eth0\n'
		for l in "$@"; do
			printf '%s\n' "$l"
		done
	} >"$TMP/$name.conf"
	ip netns exec "$(ns "$host")" "$EPMDX" -port "$port" \
	    -f "$TMP/$name.conf" >"$TMP/$name.log" 2>&1 </dev/null &
	track_pid $!
	eval "PID_$name=$!"
	wait_until 10 answers "$host" "$port" || fail "$name does not answer"
	ip netns exec "$(ns "$host")" "$PYTHON" "$WIRE" -H 127.0.0.1 \
	    -p "$port" --register "n$k" $((30000 + k)) --timeout 300 \
	    >"$TMP/hold-$name.out" 2>&1 </dev/null &
	track_pid $!
	wait_until 10 grep -qs . "$TMP/hold-$name.out" ||
	    fail "no ALIVE2 reply for n$k"
}

# nctl HOST PORT ARGS...: epmdxctl inside a host.
nctl()
{
	local host=$1 port=$2
	shift 2
	timeout -k 2 10 ip netns exec "$(ns "$host")" "$EPMDXCTL" \
	    --port "$port" "$@" </dev/null
}

# answers HOST PORT
answers()
{
	nctl "$1" "$2" status >/dev/null 2>&1
}

# ncluster HOST PORT: "name@host port" lines, sorted.
ncluster()
{
	nctl "$1" "$2" --json cluster 2>/dev/null | "$PYTHON" -c '
import json, sys
for o in json.load(sys.stdin):
    print("%s %d" % (o["node"], o["port"]))
' | sort
}

start h1 1 4369 "cluster = blue"
start h2 2 4369 "cluster = blue"
start h3 1 4372
start h4 2 4372
BLUE=$(printf '%s\n' "n1@h1 30001" "n2@h2 30002")
DEFAULT=$(printf '%s\n' "n3@h3 30003" "n4@h4 30004")

split()
{
	[ "$(ncluster 1 4369)" = "$BLUE" ] &&
	    [ "$(ncluster 2 4369)" = "$BLUE" ] &&
	    [ "$(ncluster 1 4372)" = "$DEFAULT" ] &&
	    [ "$(ncluster 2 4372)" = "$DEFAULT" ]
}
show()
{
	local d
	for d in "1 4369" "2 4369" "1 4372" "2 4372"; do
		# shellcheck disable=SC2086
		set -- $d
		echo "host $1 port $2:"
		ncluster "$1" "$2" | sed 's/^/  cluster /'
		nctl "$1" "$2" peers 2>/dev/null | sed 's/^/  /'
	done
}
wait_until "$WAIT" split || { show; fail "the clusters did not converge apart"; }
sleep 3
split || { show; fail "a node crossed between the clusters"; }
echo "ok: blue lists n1 n2, default lists n3 n4"

# No peer of the other cluster anywhere.
for d in "1 4369 4372" "2 4369 4372" "1 4372 4369" "2 4372 4369"; do
	# shellcheck disable=SC2086
	set -- $d
	if nctl "$1" "$2" peers 2>/dev/null | grep -q ":$3 "; then
		show
		fail "host $1 port $2 has a peer on port $3 (the other cluster)"
	fi
done

grep -q "mcast: ignoring datagrams of cluster default from 10.213.2.[12]:[0-9]*, ours is blue" \
    "$TMP/h1.log" || fail "h1 does not log ignoring the default cluster"
grep -q "mcast: ignoring datagrams of cluster blue from 10.213.2.[12]:[0-9]*, ours is default" \
    "$TMP/h4.log" || fail "h4 does not log ignoring the blue cluster"
for d in h1 h2 h3 h4; do
	grep -q "unauthenticated" "$TMP/$d.log" &&
	    fail "$d logs unauthenticated datagrams: one secret, two clusters"
done
nctl 1 4369 status | grep -qx 'cluster *blue' ||
    fail "status on h1 does not say blue"
nctl 2 4372 status | grep -qx 'cluster *default' ||
    fail "status on h4 does not say default"
for d in "$PID_h1" "$PID_h2" "$PID_h3" "$PID_h4"; do
	alive "$d" || fail "a daemon died during the test"
done
echo "two clusters on one group: all checks passed"
exit 0
