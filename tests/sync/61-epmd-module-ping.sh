#!/bin/bash
# 61-epmd-module-ping: three daemons on loopback sync as hosts h1, h2 and
# h3, names nothing resolves (each node looks host names up in an empty
# hosts file).  Nodes b@h2 and c@h3 run with -epmd_module epmdx_epmd.  A
# node a@h1 with the module pings both (pong), and b pings c over its own
# fresh connection (pong): each resolved the other through its local
# daemon's table.  A node x@h1 without the module cannot (pang: it would
# need h2's address from DNS and h2's port mapper).  A node the table does
# not know falls back to erl_epmd (pang, quickly).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"

three_hosts
beam 2 b $MOD
beam 3 c $MOD
wait_until 20 registered "${P[1]}" b || fail "b@h2 not registered: $(cat "$TMP/b.log")"
wait_until 20 registered "${P[2]}" c || fail "c@h3 not registered: $(cat "$TMP/c.log")"
wait_until 20 cluster_has "${P[0]}" c@h3 || fail "h1 does not know c@h3"
wait_until 20 cluster_has "${P[0]}" b@h2 || fail "h1 does not know b@h2"
wait_until 20 cluster_has "${P[1]}" c@h3 || fail "h2 does not know c@h3"

out=$(beam_once 1 a 30 $MOD -eval '
    R = {net_adm:ping(b@h2), net_adm:ping(c@h3),
         erpc:call(b@h2, net_adm, ping, [c@h3]),
         lists:sort(erpc:call(b@h2, erlang, nodes, [])),
         net_adm:ping(nobody@h2)},
    io:format("~p~n", [R]), halt().') || fail "node a failed: $out"
assert_eq "$out" "{pong,pong,pong,[a@h1,c@h3],pang}" \
    "a@h1 with epmdx_epmd pings b@h2, c@h3; b pings c"

out=$(beam_once 1 x 30 -eval '
    io:format("~p~n", [{net_adm:ping(b@h2), net_adm:ping(c@h3)}]),
    halt().') || fail "node x failed: $out"
assert_eq "$out" "{pang,pang}" "x@h1 without the module cannot reach h2, h3"
