#!/bin/bash
# 80-nodes-ping: three real Erlang nodes started with -start_epmd false
# register with the daemon; from a fourth (hidden) node each answers
# net_adm:ping -> pong, erpc:call works across (a calls b, c pings a and b),
# and net_adm:names() lists exactly a, b, c (besides the caller itself)
# with the ports NAMES shows.
# Reference: epmd-reference.md 6, 7.
. "$(dirname "$0")/lib.sh"

start_daemon
start_node a
start_node b
start_node c
H=$NODE_HOST
out=$(erl_run "
	Ns = ['a@$H', 'b@$H', 'c@$H'],
	P = [net_adm:ping(N) || N <- Ns],
	X = erpc:call('a@$H', erpc, call, ['b@$H', erlang, node, []]),
	Y = erpc:call('c@$H', fun() -> [net_adm:ping('a@$H'), net_adm:ping('b@$H')] end),
	Me = hd(string:split(atom_to_list(node()), \"@\")),
	{ok, L} = net_adm:names(),
	{P, X, Y, lists:sort([{N, Po} || {N, Po} <- L, N =/= Me])}")
rc=$?
want_names=$(names | sed -n 's/^name \([abc]\) at port \([0-9]*\)$/{"\1",\2}/p' | sort | paste -sd,)
assert_eq "$rc" 0 "erl_run exit"
assert_eq "$out" "{[pong,pong,pong],b@$H,[pong,pong],[$want_names]}" "ping/erpc/names result"
