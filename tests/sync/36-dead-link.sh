#!/bin/bash
# 36-dead-link: a dialled stream whose peer stops acknowledging does not
# stay "established".  h1 and h2 run in two network namespaces made here,
# joined by a veth pair (10.215.0.1 and 10.215.0.2), and sync; then h2's
# side of the link goes down, so h1's heartbeats are never acknowledged.
# Checks that h1's peer h2 leaves "established" within ttl + interval
# (+3 s), and that once the link is back it is established again.  Skips
# if network namespaces cannot be made here.  Nothing leaves them.
. "$(dirname "$0")/lib.sh"

command -v ip >/dev/null 2>&1 || skip "ip not installed"
NS1=epx36a-$$ NS2=epx36b-$$
ip netns add "$NS1" 2>"$TMP/netns.err" ||
    skip "ip netns add not permitted: $(cat "$TMP/netns.err")"
on_exit "ip netns del $NS1 2>/dev/null"
ip netns add "$NS2" || fail "ip netns add $NS2"
on_exit "ip netns del $NS2 2>/dev/null"
ip -n "$NS1" link add v1 type veth peer name v2 netns "$NS2" \
    2>"$TMP/netns.err" || skip "cannot make a veth pair: $(cat "$TMP/netns.err")"
ip -n "$NS1" addr add 10.215.0.1/24 dev v1 || fail "addr v1"
ip -n "$NS2" addr add 10.215.0.2/24 dev v2 || fail "addr v2"
for n in "$NS1" "$NS2"; do
	ip -n "$n" link set lo up || fail "lo up in $n"
done
ip -n "$NS1" link set v1 up || fail "v1 up"
ip -n "$NS2" link set v2 up || fail "v2 up"

# Daemons (DAEMON_NETNS) and CLI run in a namespace (ip netns exec execs:
# same pid).
REAL_CTL=$EPMDXCTL
for n in 1 2; do
	eval "ns=\$NS$n"
	printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$ns" \
	    "$REAL_CTL" >"$TMP/ctl-$n"
	chmod +x "$TMP/ctl-$n"
done

read -r -a P <<<"$(free_ports 2)" || fail "no free ports"
A=${P[0]} B=${P[1]}
make_secret "$TMP/secret"
write_conf "$TMP/h1.conf" h1 "10.215.0.2:$B"
write_conf "$TMP/h2.conf" h2 "10.215.0.1:$A"
DAEMON_NETNS=$NS2 start_daemon_as h2 "$B" -f "$TMP/h2.conf"
DAEMON_NETNS=$NS1 start_daemon_as h1 "$A" -f "$TMP/h1.conf"
EPMDXCTL=$TMP/ctl-1
wait_until 15 peer_in "$A" "10.215.0.2:$B" established ||
    fail "h1's peer h2 is $(peer_state "$A" "10.215.0.2:$B")"

ip -n "$NS2" link set v2 down || fail "v2 down"
lim=$((SYNC_TTL + SYNC_INTERVAL + 3))
gone()
{
	st=$(peer_state "$A" "10.215.0.2:$B")
	[ -n "$st" ] && [ "$st" != established ]
}
wait_until "$lim" gone ||
    fail "h1 still shows h2 $(peer_state "$A" "10.215.0.2:$B") $lim s after the link died"
note "h1's peer h2 is $st after the link died"

ip -n "$NS2" link set v2 up || fail "v2 up"
wait_until 40 peer_in "$A" "10.215.0.2:$B" established ||
    fail "h1's peer h2 is $(peer_state "$A" "10.215.0.2:$B") after the link came back"
exit 0
