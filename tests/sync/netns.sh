# netns.sh: sourced (after lib.sh) by the tests that need real hosts: N
# network namespaces joined by veth pairs to a bridge in a namespace of
# their own, all made and removed by the test; nothing leaves them.
#
#   netns_hosts N NET      hosts 1..N, host K at NET.K/24 on its eth0 (NET
#                          is three octets, e.g. 10.214.0), lo up; the
#                          namespaces are $NS_PRE-hK; skips the test if
#                          namespaces, bridges or veth pairs cannot be made
#   onhost K CMD...        run CMD on host K (not for CMD &: $! would be a
#                          subshell's pid; background commands spell out
#                          ip netns exec, which execs CMD, so $! is CMD's)
#   netns_multicast        multicast between the hosts: the bridge floods
#                          it (no IGMP querier here), each host routes
#                          224.0.0.0/4 on eth0
#   netns_etcd K           one etcd member on host K at NET.K:2379 (data in
#                          $TMP, tracked), healthy from host 1; its URL
#                          in EURL (needs tests/lib/etcd.sh)
#   netns_daemon K CONF    epmdx -f CONF on host K at port ${NS_PORT:-4369}
#                          (tracked, pid in DPID_K, log hK.log), answering
#   nsctl K ARGS...        epmdxctl on host K at that port, bounded
#   netns_drop_port K PORT drop TCP to PORT arriving at host K from the
#                          other hosts (its own lo still reaches it), with
#                          nft inside host K's namespace; skips without nft

command -v ip >/dev/null 2>&1 || skip "ip not installed"
NS_PRE=epx$$

netns_hosts()
{
	local n=$1 net=$2 k br=$NS_PRE-br
	NS_NET=$net NS_N=$n
	ip netns add "$br" 2>"$TMP/netns.err" ||
	    skip "ip netns add not permitted: $(cat "$TMP/netns.err")"
	on_exit "ip netns del $br 2>/dev/null"
	for k in $(seq 1 "$n"); do
		ip netns add "$NS_PRE-h$k" || fail "ip netns add $NS_PRE-h$k"
		on_exit "ip netns del $NS_PRE-h$k 2>/dev/null"
	done
	ip -n "$br" link add br0 type bridge 2>"$TMP/netns.err" ||
	    skip "cannot make a bridge: $(cat "$TMP/netns.err")"
	ip -n "$br" link set br0 up || fail "br0 up"
	for k in $(seq 1 "$n"); do
		ip -n "$br" link add "v$k" type veth peer name eth0 \
		    netns "$NS_PRE-h$k" 2>"$TMP/netns.err" ||
		    skip "cannot make a veth pair: $(cat "$TMP/netns.err")"
		ip -n "$br" link set "v$k" master br0 up || fail "v$k on br0"
		ip -n "$NS_PRE-h$k" addr add "$net.$k/24" dev eth0 ||
		    fail "address $k"
		ip -n "$NS_PRE-h$k" link set eth0 up || fail "eth0 up in h$k"
		ip -n "$NS_PRE-h$k" link set lo up || fail "lo up in h$k"
	done
}

onhost()
{
	local k=$1
	shift
	ip netns exec "$NS_PRE-h$k" "$@"
}

netns_drop_port()
{
	local k=$1 port=$2
	command -v nft >/dev/null 2>&1 || skip "nft not installed"
	onhost "$k" nft add table inet epmdxtest 2>"$TMP/nft.err" ||
	    skip "nft not usable here: $(cat "$TMP/nft.err")"
	onhost "$k" nft add chain inet epmdxtest input \
	    '{ type filter hook input priority 0; policy accept; }' ||
	    fail "nft chain on host $k"
	onhost "$k" nft add rule inet epmdxtest input \
	    iifname != lo tcp dport "$port" drop || fail "nft rule on host $k"
}

netns_etcd()
{
	local k=$1
	EURL=http://$NS_NET.$k:2379
	ip netns exec "$NS_PRE-h$k" "$ETCD" --name e --data-dir "$TMP/etcd.data" \
	    --listen-client-urls "$EURL" --advertise-client-urls "$EURL" \
	    --listen-peer-urls http://127.0.0.1:2380 \
	    --initial-advertise-peer-urls http://127.0.0.1:2380 \
	    --initial-cluster e=http://127.0.0.1:2380 --logger zap \
	    --log-level warn </dev/null >>"$TMP/etcd.log" 2>&1 &
	track_pid $!
	wait_until 20 onhost 1 timeout 5 "$ETCDCTL" --endpoints "$EURL" \
	    endpoint health >/dev/null 2>&1 ||
	    fail "etcd not reachable from host 1: $(tail -5 "$TMP/etcd.log")"
}

netns_daemon()
{
	local k=$1 conf=$2 pid
	ip netns exec "$NS_PRE-h$k" "$EPMDX" -port "${NS_PORT:-4369}" -f "$conf" \
	    >>"$(daemon_log "h$k")" 2>&1 </dev/null &
	pid=$!
	track_pid "$pid"
	eval "DPID_$k=$pid"
	wait_until 10 nsctl "$k" status >/dev/null 2>&1 ||
	    fail "daemon h$k not answering: $(cat "$(daemon_log "h$k")")"
}

nsctl()
{
	local k=$1
	shift
	timeout -k 2 10 ip netns exec "$NS_PRE-h$k" "$EPMDXCTL" \
	    --port "${NS_PORT:-4369}" "$@" </dev/null
}

netns_multicast()
{
	local k
	ip -n "$NS_PRE-br" link set br0 type bridge mcast_snooping 0 \
	    2>/dev/null
	for k in $(seq 1 "$NS_N"); do
		ip -n "$NS_PRE-h$k" route add 224.0.0.0/4 dev eth0 ||
		    fail "multicast route on host $k"
	done
}
