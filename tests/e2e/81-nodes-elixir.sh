#!/bin/bash
# 81-nodes-elixir: an Elixir node (elixir --sname, -start_epmd false) using
# the daemon joins an Erlang node with Node.connect/1 -> true, calls it with
# :erpc, and is listed by the Erlang node's :net_adm.names().
# Reference: epmd-reference.md 6.
. "$(dirname "$0")/lib.sh"

command -v elixir >/dev/null || skip "elixir not installed"
start_daemon
start_node a
H=$NODE_HOST
out=$(ERL_EPMD_PORT=$PORT timeout --foreground -k 5 40 elixir --sname ex \
    --cookie "$COOKIE" --erl "-start_epmd false" -e "
	a = :\"a@$H\"
	IO.inspect(Node.connect(a))
	IO.inspect(:erpc.call(a, :erlang, :node, []))
	{:ok, names} = :erpc.call(a, :net_adm, :names, [])
	IO.inspect(names |> Enum.map(&to_string(elem(&1, 0))) |> Enum.sort())
	IO.inspect(:erpc.call(a, :net_adm, :ping, [node()]))
	" </dev/null 2>&1)
rc=$?
assert_eq "$rc" 0 "elixir exit code (output: $out)"
assert_eq "$out" "true
:a@$H
[\"a\", \"ex\"]
:pong" "elixir output"
