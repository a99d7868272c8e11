#!/bin/bash
# 64-netns-no-4369: three hosts made of network namespaces (10.216.0.1-3),
# each with its own epmdx on port 4369 and sync on port 4370, and a
# firewall rule inside each namespace that drops TCP 4369 from the other
# hosts.  Sync still runs (4370), so each daemon knows every node.  Nodes
# a@h1 ... with -epmd_module epmdx_epmd and host names nothing resolves
# connect by name: a@h1 pings b@h2 and c@h3 (pong).  A node y@h1 without
# the module, even with a hosts file that gives h2's and h3's addresses,
# cannot (pang): stock resolution needs the remote 4369.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/nodes.sh"

NET=10.216.0
netns_hosts 3 "$NET"
for k in 1 2 3; do
	netns_drop_port "$k" 4369
done
make_secret "$TMP/secret"
for k in 1 2 3; do
	write_conf "$TMP/h$k.conf" "h$k" "$NET.1, $NET.2, $NET.3" "port = 4370"
	netns_daemon "$k" "$TMP/h$k.conf"
done
# The rule holds: h2's port mapper is out of h1's reach, its sync port not.
# reach K ADDR PORT: a TCP connection from host K to ADDR:PORT, bounded.
reach()
{
	timeout 2 ip netns exec "$NS_PRE-h$1" bash -c "exec 3<>/dev/tcp/$2/$3" \
	    2>/dev/null
}
reach 1 "$NET.2" 4370 || fail "h1 does not reach h2's sync port 4370"
if reach 1 "$NET.2" 4369; then
	fail "h1 reaches h2's port 4369: the firewall rule does not hold"
fi
reach 2 127.0.0.1 4369 || fail "h2 does not reach its own daemon"

# nsnode K NAME ARG...: a node NAME@hK on host K (4369 is its daemon),
# bounded to 30 s.
nsnode()
{
	local k=$1 name=$2
	shift 2
	timeout -k 2 30 ip netns exec "$NS_PRE-h$k" env ERL_INETRC="$TMP/inetrc" HOME="$HOME" \
	    ERL_CRASH_DUMP="$TMP/erl_crash.dump" erl -sname "$name@h$k" \
	    -setcookie "$COOKIE" -start_epmd false -noshell -pa "$NODE_EBIN" \
	    "$@" </dev/null
}
for kn in 2:b 3:c; do
	k=${kn%:*} name=${kn#*:}
	ip netns exec "$NS_PRE-h$k" env ERL_INETRC="$TMP/inetrc" HOME="$HOME" \
	    ERL_CRASH_DUMP="$TMP/erl_crash.dump" erl -sname "$name@h$k" \
	    -setcookie "$COOKIE" -start_epmd false -noshell -pa "$NODE_EBIN" \
	    $MOD >"$TMP/$name.log" 2>&1 </dev/null &
	track_pid $!
done
for n in b@h2 c@h3; do
	for k in 1 2 3; do
		wait_until 20 eval 'nsctl '"$k"' cluster | grep -q "^'"$n"' "' ||
		    fail "host $k's daemon does not list $n: $(nsctl "$k" cluster)"
	done
done

out=$(nsnode 1 a $MOD -eval '
    io:format("~p~n", [{net_adm:ping(b@h2), net_adm:ping(c@h3),
                        erpc:call(b@h2, net_adm, ping, [c@h3])}]),
    halt().' 2>&1) || fail "node a failed: $out"
assert_eq "$out" "{pong,pong,pong}" "a@h1 reaches b@h2 and c@h3 by name"

# Stock resolution, with the addresses given: still pang, 4369 is dropped.
printf '%s h%s\n' "$NET.1" 1 "$NET.2" 2 "$NET.3" 3 >"$TMP/hosts.stock"
printf '{lookup, [file]}.\n{hosts_file, "%s"}.\n' "$TMP/hosts.stock" \
    >"$TMP/inetrc.stock"
out=$(timeout -k 2 30 ip netns exec "$NS_PRE-h1" env \
    ERL_INETRC="$TMP/inetrc.stock" HOME="$HOME" \
    ERL_CRASH_DUMP="$TMP/erl_crash.dump" erl -sname y@h1 \
    -setcookie "$COOKIE" -start_epmd false -noshell \
    -kernel net_setuptime 2 -eval '
    io:format("~p~n", [{inet:getaddr("h2", inet), net_adm:ping(b@h2)}]),
    halt().' 2>&1 </dev/null) || fail "node y failed: $out"
assert_eq "$out" "{{ok,{10,216,0,2}},pang}" \
    "y@h1 without the module: h2 resolves, but its 4369 is dropped"
