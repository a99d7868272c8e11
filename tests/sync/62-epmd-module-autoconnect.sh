#!/bin/bash
# 62-epmd-module-autoconnect: nodes app1@h1, app2@h2, app3@h3 (three
# daemons syncing on loopback, host names nothing resolves) start with
# -epmdx_autoconnect true and -epmdx_autoconnect_names 'app*'; nobody
# pings.  Each ends with the other two in nodes(), and never other@h2, a
# node of another application on h2 (it uses the module, not autoconnect).
# A node app4@h1 started later is joined by all three within seconds.  A
# connection dropped while both are listed comes back by itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"

three_hosts
beam 2 other $MOD
wait_until 20 registered "${P[1]}" other || fail "other@h2 not registered"

# A node that prints its sorted nodes() each time it changes.
AC=(-epmd_module epmdx_epmd -epmdx_autoconnect true
    -epmdx_autoconnect_names "app*")
LOOP='L = fun L(Prev) ->
           N = lists:sort(nodes()),
           N =/= Prev andalso io:format("NODES ~w~n", [N]),
           timer:sleep(20), L(N) end, L(undefined).'
for k in 1 2 3; do
	beam "$k" "app$k" "${AC[@]}" -eval "$LOOP"
done

# lastnodes NAME: the last NODES line of NAME's log.
lastnodes()
{
	grep '^NODES ' "$TMP/$1.log" | tail -n 1
}
want1="NODES [app2@h2,app3@h3]"
want2="NODES [app1@h1,app3@h3]"
want3="NODES [app1@h1,app2@h2]"
for k in 1 2 3; do
	eval "want=\$want$k"
	wait_until 30 eval '[ "$(lastnodes app'"$k"')" = "$want" ]' ||
	    fail "app$k@h$k: $(lastnodes "app$k"), want $want: $(cat "$TMP/app$k.log")"
done
sleep 1
for k in 1 2 3; do
	if grep -q 'other@h2' "$TMP/app$k.log"; then
		fail "app$k joined other@h2: $(cat "$TMP/app$k.log")"
	fi
done

# A latecomer: every app node gets it, without a ping.
beam 1 app4 "${AC[@]}" -eval "$LOOP"
for k in 1 2 3; do
	wait_until 20 eval 'lastnodes app'"$k"' | grep -q app4@h1' ||
	    fail "app$k@h$k did not join app4@h1: $(lastnodes "app$k")"
done
wait_until 20 eval '[ "$(lastnodes app4)" = "NODES [app1@h1,app2@h2,app3@h3]" ]' ||
    fail "app4@h1: $(lastnodes app4)"

# A connection dropped while the node is still in the table comes back
# (the module connects again after a pause): z@h1 makes app1 drop app2.
mark=$(wc -l <"$TMP/app1.log")
out=$(beam_once 1 z 30 $MOD -eval '
    io:format("~p~n", [erpc:call(app1@h1, erlang, disconnect_node, [app2@h2])]),
    halt().') || fail "node z failed: $out"
assert_eq "$out" true "app1 dropped app2"
# after: app1's NODES lines since the mark.
after() { tail -n +"$((mark + 1))" "$TMP/app1.log" | grep '^NODES '; }
wait_until 10 eval 'after | grep -v -q app2@h2' ||
    fail "app1 never without app2: $(after)"
wait_until 10 eval 'after | tail -n 1 | grep -q app2@h2' ||
    fail "app1 did not connect to app2 again: $(after)"
