#!/bin/bash
# 80-etcd-netns-epmd-module: three hosts made of network namespaces
# (10.218.0.1-3), each with its own epmdx (backends = etcd), and one etcd
# on a fourth (10.218.0.4) that they reach over the namespaces' network.
# Real nodes a@h1, b@h2, c@h3 (-sname, host names nothing resolves) with
# -epmd_module epmdx_epmd and -epmdx_autoconnect true: each ends with the
# other two in nodes(), no ping, no DNS, no remote 4369: the address of
# each host comes from what its daemon wrote to etcd.  Then b's host dies
# (daemon and node killed): its entries leave h1's table when its lease
# expires (ttl).
. "$(dirname "$0")/lib.sh"
. "$SYNC_DIR/../lib/etcd.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/nodes.sh"
etcd_need
on_exit show_logs

NET=10.218.0
netns_hosts 4 "$NET"
netns_etcd 4

make_secret "$TMP/secret"
for k in 1 2 3; do
	etcd_conf "$TMP/h$k.conf" "h$k" "$EURL" \
	    "advertise = $NET.$k"
	netns_daemon "$k" "$TMP/h$k.conf"
done

LOOP='L = fun L(Prev) ->
           N = lists:sort(nodes()),
           N =/= Prev andalso io:format("NODES ~w~n", [N]),
           timer:sleep(20), L(N) end, L(undefined).'
for kn in 1:a 2:b 3:c; do
	k=${kn%:*} name=${kn#*:}
	ip netns exec "$NS_PRE-h$k" env ERL_INETRC="$TMP/inetrc" HOME="$HOME" \
	    ERL_CRASH_DUMP="$TMP/erl_crash.dump" erl -sname "$name@h$k" \
	    -setcookie "$COOKIE" -start_epmd false -noshell -pa "$NODE_EBIN" \
	    $MOD -epmdx_autoconnect true -eval "$LOOP" \
	    >"$TMP/$name.log" 2>&1 </dev/null &
	track_pid $!
	eval "NPID_$name=$!"
done
lastnodes() { grep '^NODES ' "$TMP/$1.log" | tail -n 1; }
for w in "a:[b@h2,c@h3]" "b:[a@h1,c@h3]" "c:[a@h1,b@h2]"; do
	n=${w%%:*}
	wait_until 30 eval '[ "$(lastnodes '"$n"')" = "NODES '"${w#*:}"'" ]' ||
	    fail "$n: $(lastnodes "$n"), want ${w#*:}; h1's table: $(nsctl 1 cluster)"
done
out=$(nsctl 1 resolve b@h2) || fail "resolve b@h2 on h1"
assert_match "$out" "b@h2 port [0-9]+ .* address $NET.2" "h1 resolves b@h2"

# Host 2 dies: its lease expires, h1 drops b@h2.
kill -9 "$DPID_2" "$NPID_b"
wait_until $((SYNC_TTL + 5)) eval '! nsctl 1 cluster | grep -q "^b@h2 "' ||
    fail "h1 still lists b@h2 after ttl: $(nsctl 1 cluster)"
nsctl 1 cluster | grep -q "^c@h3 " || fail "h1 lost c@h3"
