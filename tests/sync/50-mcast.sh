#!/bin/bash
#
# 50-mcast: the "mcast" sync backend across network namespaces.
#
# Four "hosts" (network namespaces) hang off a bridge that lives in a
# fifth namespace, each by a veth pair, with addresses in 10.213.1.0/24
# (and 2001:db8:213::/64) and a multicast route; nothing is configured
# outside these namespaces, so no datagram leaves them.  Host 1 runs two daemons
# (h1 on 4369, h1b on 4372: several daemons on one host share the group
# port and hear each other through multicast loopback); hosts 2 and 3 run
# h2 and h3 with backends = mcast and one shared secret; host 4 runs h4
# with a different secret.  On port 4373, h5 (host 2) joins only the IPv6
# group ff05::4370, h6 (host 3) both groups.
#
# Checks: h1, h1b, h2 and h3 each list the three others as mcast peers,
# with an authenticated stream (their origin known); h5 and h6 find each
# other over IPv6, and h6 finds h2 over IPv4 too; h4 is learned by nobody
# and learns nobody, and the others log its datagrams as unauthenticated;
# a SIGHUP that moves h2 to another interface spelling re-joins, one
# naming a bad group keeps the old one, and h2 stays known throughout;
# once h3 is killed, the others withdraw it (log "origin silent host=h3")
# within ttl plus a margin.
#
# Needs root (ip netns).  Exits 77 (skip) without it, 0 on success, 1 on
# failure.  EPMDX and EPMDXCTL override the binaries (default build/);
# KEEP_TMP=1 keeps the temp dir (configs, logs).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TTL=4			# [sync] ttl, seconds
INTERVAL=1		# [sync] interval, seconds
WAIT=20			# bound on each convergence wait, seconds

ID=$$
BR=epmdx-mc-$ID-br
NSS="epmdx-mc-$ID-1 epmdx-mc-$ID-2 epmdx-mc-$ID-3 epmdx-mc-$ID-4"
MADE=""

# At exit, once the daemons are stopped: delete our namespaces; after a
# failure show every daemon's log.
del_namespaces()
{
	local n
	for n in $MADE; do
		ip netns del "$n" 2>/dev/null
	done
}
on_exit del_namespaces
on_exit show_logs

[ "$(id -u)" = 0 ] || skip "needs root for ip netns"
command -v ip >/dev/null 2>&1 || skip "no ip(8)"

# ns N: the name of host N's namespace.
ns()
{
	printf 'epmdx-mc-%s-%s\n' "$ID" "$1"
}

# ------------------------------------------------------------- network

# The bridge namespace, then each host: veth to the bridge, address,
# multicast route.  Links are created inside the bridge namespace and
# their far ends moved straight into the host's.
ip netns add "$BR" || fail "ip netns add $BR"
MADE="$BR"
ip -n "$BR" link set lo up
ip -n "$BR" link add br0 type bridge || fail "bridge"
# No IGMP querier here: flood multicast instead of snooping it.
ip -n "$BR" link set br0 type bridge mcast_snooping 0 2>/dev/null
ip -n "$BR" link set br0 up
for i in 1 2 3 4; do
	n=$(ns "$i")
	ip netns add "$n" || fail "ip netns add $n"
	MADE="$MADE $n"
	ip -n "$BR" link add "b$i" type veth peer name eth0 netns "$n" ||
	    fail "veth for $n"
	ip -n "$BR" link set "b$i" master br0
	ip -n "$BR" link set "b$i" up
	ip -n "$n" link set lo up
	ip -n "$n" addr add "10.213.1.$i/24" dev eth0
	# Documentation prefix, not ULA: libevent's AI_ADDRCONFIG does not
	# count fc00::/7 as IPv6 connectivity, so the core would not dial.
	ip -n "$n" -6 addr add "2001:db8:213::$i/64" dev eth0 nodad
	ip -n "$n" link set eth0 up
	ip -n "$n" route add 224.0.0.0/4 dev eth0 ||
	    fail "multicast route in $n"
done

# ------------------------------------------------------------- daemons

umask 077
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/secret"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/other"
chmod 600 "$TMP/secret" "$TMP/other"

# start NAME HOSTNUM PORT SECRET [EXTRA-CONFIG-LINE...]: a daemon in host
# HOSTNUM's namespace; its pid goes in PID_<NAME>, its log in TMP.
start()
{
	local name=$1 host=$2 port=$3 secret=$4 pid
	shift 4
	{
		printf '[sync]\n'
		printf 'backends = mcast\n'
		printf 'hostname = %s\n' "$name"
		printf 'secret_file = %s\n' "$secret"
		printf 'ttl = %s\n' "$TTL"
		printf 'interval = %s\n' "$INTERVAL"
		for l in "$@"; do
			printf '%s\n' "$l"
		done
	} >"$TMP/$name.conf"
	ip netns exec "$(ns "$host")" "$EPMDX" -port "$port" \
	    -f "$TMP/$name.conf" >"$TMP/$name.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	eval "PID_$name=$pid"
}

# ctl HOSTNUM PORT ARGS...: epmdxctl inside a host.
ctl()
{
	local host=$1 port=$2
	shift 2
	ip netns exec "$(ns "$host")" "$EPMDXCTL" --port "$port" "$@"
}

# answers HOSTNUM PORT: the daemon answers epmdxctl.
answers()
{
	ctl "$1" "$2" peers >/dev/null 2>&1
}

# Interface given by name, by address, and left to the route.
start h1 1 4369 "$TMP/secret" "mcast_interface = eth0"
start h1b 1 4372 "$TMP/secret" "mcast_interface = 10.213.1.1"
start h2 2 4369 "$TMP/secret"
start h3 3 4369 "$TMP/secret" "advertise = 10.213.1.3:4369" \
    "mcast_interface = eth0"
start h4 4 4369 "$TMP/other" "mcast_interface = eth0"
start h5 2 4373 "$TMP/secret" "mcast_group = ff05::4370" \
    "mcast_interface = eth0"
start h6 3 4373 "$TMP/secret" "mcast_group = ff05::4370, 239.255.43.69" \
    "mcast_interface = eth0"

for d in "h1 1 4369" "h1b 1 4372" "h2 2 4369" "h3 3 4369" "h4 4 4369" \
    "h5 2 4373" "h6 3 4373"; do
	set -- $d
	wait_until 10 answers "$2" "$3" || fail "$1 does not answer"
done

# --------------------------------------------------------------- checks

# has_peer HOSTNUM PORT ADDR ORIGIN: the daemon lists ADDR as a peer the
# mcast backend reported, whose stream told it ORIGIN.
has_peer()
{
	ctl "$1" "$2" peers 2>/dev/null | awk -v a="$3" -v o="$4" '
	    $1 == a && $3 == o && $NF ~ /(^|,)mcast(,|$)/ { f = 1 }
	    END { exit !f }'
}

# no_peer HOSTNUM PORT ADDR: the daemon does not list ADDR at all.
no_peer()
{
	! ctl "$1" "$2" peers 2>/dev/null | awk -v a="$3" '$1 == a { f = 1 }
	    END { exit !f }'
}

# no_mcast_peer HOSTNUM PORT ADDR: ADDR is not (or no more) from mcast.
no_mcast_peer()
{
	! ctl "$1" "$2" peers 2>/dev/null | awk -v a="$3" '
	    $1 == a && $NF ~ /(^|,)mcast(,|$)/ { f = 1 } END { exit !f }'
}

# Who is where.
set -- "h1 1 4369 10.213.1.1:4369" "h1b 1 4372 10.213.1.1:4372" \
    "h2 2 4369 10.213.1.2:4369" "h3 3 4369 10.213.1.3:4369"
GOOD=("$@")

for a in "${GOOD[@]}"; do
	set -- $a
	for b in "${GOOD[@]}"; do
		[ "$a" = "$b" ] && continue
		# shellcheck disable=SC2086
		set -- $a $b
		wait_until "$WAIT" has_peer "$2" "$3" "$8" "$5" || {
			ctl "$2" "$3" peers >&2
			fail "$1 does not see $5 at $8 through mcast"
		}
	done
done
echo "ok: h1, h1b, h2, h3 see each other through mcast"

wait_until "$WAIT" has_peer 2 4373 "[2001:db8:213::3]:4373" h6 || {
	ctl 2 4373 peers >&2
	fail "h5 does not see h6 over IPv6"
}
wait_until "$WAIT" has_peer 3 4373 "[2001:db8:213::2]:4373" h5 || {
	ctl 3 4373 peers >&2
	fail "h6 does not see h5 over IPv6"
}
wait_until "$WAIT" has_peer 3 4373 10.213.1.2:4369 h2 || {
	ctl 3 4373 peers >&2
	fail "h6 (both groups) does not see h2 over IPv4"
}
echo "ok: h5 and h6 see each other over IPv6, h6 sees h2 over IPv4"

# h4, with another secret, learns nothing and is learned by nobody.
grep -q "mcast: dropped unauthenticated datagram from 10.213.1.4:" \
    "$TMP/h2.log" || {
	wait_until "$WAIT" grep -q \
	    "mcast: dropped unauthenticated datagram from 10.213.1.4:" \
	    "$TMP/h2.log" || fail "h2 did not log h4's datagrams"
}
grep -q "mcast: dropped unauthenticated datagram from 10.213.1." \
    "$TMP/h4.log" || fail "h4 did not log the others' datagrams"
for a in "${GOOD[@]}"; do
	set -- $a
	no_peer "$2" "$3" 10.213.1.4:4369 || {
		ctl "$2" "$3" peers >&2
		fail "$1 learned h4, whose secret differs"
	}
done
if [ -n "$(ctl 4 4369 peers 2>/dev/null | awk 'NR > 1')" ]; then
	ctl 4 4369 peers >&2
	fail "h4 learned peers with the wrong secret"
fi
echo "ok: h4 (another secret) learned nothing, was learned by nobody"

# Reload h2: a new interface spelling re-joins; a bad group is refused
# and the old group kept.  h2 is never withdrawn meanwhile.
# log_has NAME TEXT: NAME's log holds TEXT.
log_has()
{
	grep -qF -- "$2" "$TMP/$1.log"
}
printf 'mcast_interface = 10.213.1.2\n' >>"$TMP/h2.conf"
kill -HUP "$PID_h2"
wait_until 10 log_has h2 "mcast: re-joined group=239.255.43.69" ||
    fail "h2 did not re-join on reload"
printf 'mcast_interface = eth0\nmcast_group = 10.0.0.1\n' >>"$TMP/h2.conf"
kill -HUP "$PID_h2"
wait_until 10 log_has h2 "keeping group=239.255.43.69" ||
    fail "h2 did not keep its group on a bad reload"
sleep $((TTL + 2))
for a in "h1 1 4369" "h3 3 4369"; do
	set -- $a
	has_peer "$2" "$3" 10.213.1.2:4369 h2 || {
		ctl "$2" "$3" peers >&2
		fail "$1 lost h2 across h2's reloads"
	}
	log_has "$1" "origin silent host=h2" &&
	    fail "$1 withdrew h2 across h2's reloads"
done
has_peer 2 4369 10.213.1.3:4369 h3 || {
	ctl 2 4369 peers >&2
	fail "h2 lost h3 across its reloads"
}
echo "ok: h2 reloaded (re-join, bad group kept out) without losing peers"

# h3 dies: its mcast peer is withdrawn within ttl (plus a margin).
kill -KILL "$PID_h3"
wait "$PID_h3" 2>/dev/null
for a in "h1 1 4369" "h1b 1 4372" "h2 2 4369"; do
	set -- $a
	wait_until $((TTL + 6)) no_mcast_peer "$2" "$3" 10.213.1.3:4369 || {
		ctl "$2" "$3" peers >&2
		fail "$1 still has h3 from mcast after ttl"
	}
	grep -q "mcast: origin silent host=h3" "$TMP/$1.log" ||
	    fail "$1 did not log h3 as silent"
done
echo "ok: h3 withdrawn within ttl once dead"

for d in "$PID_h1" "$PID_h1b" "$PID_h2" "$PID_h4" "$PID_h5" "$PID_h6"; do
	kill -0 "$d" 2>/dev/null || fail "a daemon died during the test"
done
echo "mcast: all checks passed"
exit 0
