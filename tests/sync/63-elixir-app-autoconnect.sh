#!/bin/bash
# 63-elixir-app-autoconnect: the flows of a multi-node Elixir application
# across three hosts (three daemons syncing on loopback as h1, h2, h3,
# names nothing resolves), with -epmd_module epmdx_epmd and
# -epmdx_autoconnect true: no hosts file, no libcluster, no ping.  app2@h2
# and app3@h3 each run a registered echo process and a registered
# GenServer; app1@h1 waits until Node.list/0 holds both, then sends to the
# registered name on app2 and gets the reply, makes a GenServer.call and a
# GenServer.cast to app3 (the cast seen by the next call), an :erpc.call
# and an :erpc.multicall over all three.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"
command -v elixir >/dev/null 2>&1 || skip "elixir not installed"

three_hosts
cat >"$TMP/serve.exs" <<'EX'
defmodule Tally do
  use GenServer
  def init(n), do: {:ok, n}
  def handle_call(:get, _from, n), do: {:reply, {node(), n}, n}
  def handle_cast({:add, k}, n), do: {:noreply, n + k}
end

echo = spawn(fn ->
  loop = fn loop ->
    receive do
      {from, msg} -> send(from, {:echo, node(), msg})
    end
    loop.(loop)
  end
  loop.(loop)
end)
Process.register(echo, :echo)
{:ok, _} = GenServer.start(Tally, 0, name: :tally)
IO.puts("SERVING #{node()}")
Process.sleep(:infinity)
EX
cat >"$TMP/drive.exs" <<'EX'
want = [:app2@h2, :app3@h3]
deadline = System.monotonic_time(:millisecond) + 20_000
wait = fn wait ->
  cond do
    Enum.sort(Node.list()) == want -> :ok
    System.monotonic_time(:millisecond) > deadline ->
      raise "Node.list: #{inspect(Node.list())}"
    true -> Process.sleep(20); wait.(wait)
  end
end
wait.(wait)
IO.puts("NODES #{inspect(Enum.sort(Node.list()))}")

send({:echo, :app2@h2}, {self(), :hello})
receive do
  {:echo, :app2@h2, :hello} -> IO.puts("SEND ok")
after
  5_000 -> raise "no echo from app2"
end
{:app3@h3, 0} = GenServer.call({:tally, :app3@h3}, :get, 5_000)
:ok = GenServer.cast({:tally, :app3@h3}, {:add, 5})
{:app3@h3, 5} = GenServer.call({:tally, :app3@h3}, :get, 5_000)
IO.puts("GENSERVER ok")
:app2@h2 = :erpc.call(:app2@h2, :erlang, :node, [], 5_000)
IO.puts("ERPC ok")
all = Enum.sort([node() | Node.list()])
res = :erpc.multicall(all, :erlang, :node, [], 5_000)
if res != Enum.map(all, &{:ok, &1}), do: raise("multicall: #{inspect(res)}")
IO.puts("MULTICALL #{inspect(res)}")
EX

# The module's directory goes in --erl: elixir's own -pa comes after the
# distribution has started, too late for an -epmd_module.
ERLARGS="-start_epmd false -epmd_module epmdx_epmd -epmdx_autoconnect true
    -pa $NODE_EBIN"
# ex K NAME SCRIPT: elixir NAME@hK on daemon hK.
ex()
{
	# shellcheck disable=SC2046
	env $(beam_env "$1") elixir --sname "$2@h$1" --cookie "$COOKIE" \
	    --erl "$ERLARGS" "$3"
}
for k in 2 3; do
	ex "$k" "app$k" "$TMP/serve.exs" >"$TMP/app$k.log" 2>&1 </dev/null &
	track_pid $!
done
for k in 2 3; do
	wait_until 30 grep -q SERVING "$TMP/app$k.log" ||
	    fail "app$k not serving: $(cat "$TMP/app$k.log")"
done
out=$(timeout -k 2 60 bash -c "$(declare -f ex beam_env); P=(${P[*]});
    TMP=$TMP HOME=$HOME COOKIE=$COOKIE ERLARGS='$ERLARGS' NODE_EBIN=$NODE_EBIN;
    ex 1 app1 $TMP/drive.exs" 2>&1 </dev/null) ||
    fail "app1 failed: $out"
assert_eq "$out" "NODES [:app2@h2, :app3@h3]
SEND ok
GENSERVER ok
ERPC ok
MULTICALL [ok: :app1@h1, ok: :app2@h2, ok: :app3@h3]" "app1's flows"
