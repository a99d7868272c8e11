#!/bin/bash
# 20-story: the story, for real.  Three hosts made of network namespaces,
# joined by veth pairs to a bridge in a fourth namespace, addresses
# 10.214.0.1-3/24.  On each host: one epmdx (sync hostname = its address,
# static peers = the three addresses) and one BEAM node started with
# -start_epmd false and ERL_EPMD_PORT, long names nK@10.214.0.K, one cookie.
# n2 and n3 (Erlang) each run a registered process `echo' and a
# gen_server `story_srv'.  n1 (Elixir) starts connected to nobody, finds
# the others only through its local daemon (contrib/erlang/epmdx.erl, built
# here), connects with :epmdx.connect(), sends to `echo' on n2 and gets the
# reply, makes a GenServer.call to `story_srv' on n3, and an
# :erpc.multicall across all three.  Then host 3's daemon and node are
# killed: n1's daemon drops n3 from its cluster within ttl (+ 3 s), and
# :epmdx.nodes() on n1 stops listing it; RESOLVE on host 1 gives n2's
# host address.  Skips if network namespaces cannot be made here.  Nothing
# leaves the namespaces.
#
# STORY_BACKEND=etcd (79-etcd-story): the same story on the etcd backend,
# one etcd on a fourth host (10.214.0.4:2379) that the daemons reach over
# the namespaces' network, no advertise (each daemon's address is the one
# it reaches etcd from); n3 leaves when its lease runs out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
BACKEND=${STORY_BACKEND:-static}
if [ "$BACKEND" = etcd ]; then
	. "$SYNC_DIR/../lib/etcd.sh"
	etcd_need
fi
for b in erl erlc elixir; do
	command -v "$b" >/dev/null 2>&1 || skip "$b not installed"
done
if [ "$BACKEND" = etcd ]; then
	netns_hosts 4 10.214.0
	netns_etcd 4
else
	netns_hosts 3 10.214.0
fi
pre=$NS_PRE

E=24369			# the EPMD port on every host (ERL_EPMD_PORT)
NS_PORT=$E		# nsctl's
COOKIE=epmdxstory
make_secret "$TMP/secret"
for k in 1 2 3; do
	if [ "$BACKEND" = etcd ]; then
		etcd_conf "$TMP/h$k.conf" "10.214.0.$k" "$EURL"
	else
		write_conf "$TMP/h$k.conf" "10.214.0.$k" \
		    "10.214.0.1, 10.214.0.2, 10.214.0.3"
	fi
done

# nscluster K: "node port" lines of host K's daemon.
nscluster()
{
	local out
	out=$(nsctl "$1" --json cluster 2>/dev/null) || return 1
	printf '%s' "$out" | "$PYTHON" -c '
import json, sys
for o in json.load(sys.stdin):
    print("%s %d" % (o["node"], o["port"]))
' | sort
}
nscluster_has()
{
	nscluster "$1" | awk -v n="$2" '$1 == n { f = 1 } END { exit !f }'
}
nscluster_lacks()
{
	local out
	out=$(nscluster "$1") || return 1
	! printf '%s\n' "$out" | awk -v n="$2" '$1 == n { f = 1 } END { exit !f }'
}

# is_prog PID NAME: PID runs the program NAME (so stopping PID stops it).
is_prog()
{
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

for k in 1 2 3; do
	ip netns exec "$pre-h$k" "$EPMDX" -port "$E" -f "$TMP/h$k.conf" \
	    >>"$(daemon_log "h$k")" 2>&1 </dev/null &
	pid=$!
	track_pid "$pid"
	eval "DPID_$k=$pid"
	end=$(( $(now_ms) + 10000 ))
	until nsctl "$k" status >/dev/null 2>&1; do
		alive "$pid" || { cat "$(daemon_log "h$k")"; fail "daemon h$k died"; }
		[ "$(now_ms)" -lt "$end" ] || fail "daemon h$k not answering"
		sleep 0.05
	done
	is_prog "$pid" "$(basename "$EPMDX" | cut -c1-15)" ||
	    fail "pid $pid is not the daemon"
done

# The BEAM side: epmdx.erl and a small server module, built here.
mkdir -p "$TMP/ebin"
cat >"$TMP/story.erl" <<'EOF'
-module(story).
-behaviour(gen_server).
-export([serve/0, init/1, handle_call/3, handle_cast/2]).

%% A registered echo process and a registered gen_server; the node stays.
serve() ->
    register(echo, spawn(fun echo/0)),
    {ok, _} = gen_server:start({local, story_srv}, ?MODULE, [], []),
    io:format("SERVING ~s~n", [node()]).

echo() ->
    receive
        {From, Msg} -> From ! {echo, node(), Msg}, echo()
    end.

init([]) -> {ok, 0}.
handle_call(whoami, _From, N) -> {reply, {node(), N + 1}, N + 1}.
handle_cast(_Msg, N) -> {noreply, N}.
EOF
erlc +warnings_as_errors -o "$TMP/ebin" "$REPO_ROOT/contrib/erlang/epmdx.erl" \
    "$TMP/story.erl" || fail "cannot compile epmdx.erl and story.erl"

cat >"$TMP/story.exs" <<'EOF'
# n1: find the cluster through the local epmdx only, then use it.
n2 = :"n2@10.214.0.2"
n3 = :"n3@10.214.0.3"
deadline = fn ms -> System.monotonic_time(:millisecond) + ms end
past? = fn d -> System.monotonic_time(:millisecond) > d end

[] = Node.list()
d = deadline.(20_000)
others =
  Stream.repeatedly(fn -> :epmdx.nodes() end)
  |> Enum.find(fn ns ->
    Enum.sort(ns) == [n2, n3] or (past?.(d) && raise "cluster: #{inspect(ns)}") ||
      (Process.sleep(100) && false)
  end)
IO.puts("DISCOVERED #{inspect(others)}")
{:ok, port} = :epmdx.resolve(n2)
IO.puts("RESOLVED #{n2} #{port}")
{:error, :not_found} = :epmdx.resolve(:"nobody@10.214.0.2")

connected = :epmdx.connect()
if Enum.sort(connected) != [n2, n3], do: raise("connect: #{inspect(connected)}")
IO.puts("CONNECTED #{inspect(Enum.sort(Node.list()))}")

send({:echo, n2}, {self(), :hello})
receive do
  {:echo, ^n2, :hello} -> IO.puts("ECHO from #{n2}")
after
  5_000 -> raise "no echo from #{n2}"
end

{^n3, _} = GenServer.call({:story_srv, n3}, :whoami, 5_000)
IO.puts("CALL answered by #{n3}")

all = Enum.sort([node() | Node.list()])
res = :erpc.multicall(all, :erlang, :node, [], 5_000)
if res != Enum.map(all, &{:ok, &1}), do: raise("multicall: #{inspect(res)}")
IO.puts("MULTICALL #{inspect(res)}")
IO.puts("STORY OK")

# Host 3 is killed now: the local daemon stops listing n3 by ttl.
d = deadline.(30_000)
Stream.repeatedly(fn -> :epmdx.nodes() end)
|> Enum.find(fn ns ->
  not Enum.member?(ns, n3) or (past?.(d) && raise "n3 still listed") ||
    (Process.sleep(100) && false)
end)
IO.puts("EPMDX DROPPED #{n3}")
Process.sleep(:infinity)
EOF

# Erlang nodes n2 and n3, serving.
for k in 2 3; do
	ip netns exec "$pre-h$k" env ERL_EPMD_PORT=$E erl -name "n$k@10.214.0.$k" \
	    -setcookie "$COOKIE" -start_epmd false -noshell -pa "$TMP/ebin" \
	    -eval 'story:serve()' >"$TMP/n$k.log" 2>&1 </dev/null &
	pid=$!
	track_pid "$pid"
	eval "NPID_$k=$pid"
done
for k in 2 3; do
	eval "pid=\$NPID_$k"
	wait_until 30 grep -qs "^SERVING" "$TMP/n$k.log" || {
		cat "$TMP/n$k.log"
		fail "node n$k not serving after 30 s"
	}
	is_prog "$pid" beam.smp || fail "pid $pid is not n$k's emulator"
	[ "$(onhost "$k" "$EPMDX" -port "$E" -names 2>/dev/null |
	    grep -c "^name n$k at port")" = 1 ] ||
	    fail "n$k is not registered with its local daemon"
done

# Every daemon lists both serving nodes before n1 starts.
for k in 1 2 3; do
	wait_until 15 nscluster_has "$k" n2@10.214.0.2 &&
	    wait_until 15 nscluster_has "$k" n3@10.214.0.3 || {
		nscluster "$k"; nsctl "$k" peers
		fail "host $k's daemon does not list n2 and n3"
	}
done

# n1, Elixir, with the module on its path.
ip netns exec "$pre-h1" env ERL_EPMD_PORT=$E elixir --name n1@10.214.0.1 --cookie "$COOKIE" \
    --erl "-start_epmd false" -pa "$TMP/ebin" "$TMP/story.exs" \
    >"$TMP/n1.log" 2>&1 </dev/null &
N1=$!
track_pid "$N1"
t0=$(now_ms)
until grep -qs "^STORY OK" "$TMP/n1.log"; do
	if ! alive "$N1" || [ "$(now_ms)" -ge $((t0 + 60000)) ]; then
		cat "$TMP/n1.log"
		fail "n1 did not complete the story"
	fi
	sleep 0.1
done
cat "$TMP/n1.log"
note "story done $(( $(now_ms) - t0 )) ms after n1 started"
wait_until 5 nscluster_has 1 n1@10.214.0.1 || fail "n1 not in its daemon's cluster"

# Host 3 dies: daemon first (so no goodbye reaches anyone), then node.
kill9 "$DPID_3" || fail "host 3's daemon did not die"
t1=$(now_ms)
kill9 "$NPID_3" || fail "n3 did not die"
nscluster_has 1 n3@10.214.0.3 ||
    fail "n3 left at once: expiry should take ttl, not be triggered by the kill"
limit=$((SYNC_TTL + 3))
wait_until "$limit" nscluster_lacks 1 n3@10.214.0.3 || {
	nscluster 1
	fail "n1's daemon still lists n3 $limit s after host 3 died"
}
note "n1's daemon dropped n3 $(( $(now_ms) - t1 )) ms after host 3 died (ttl $SYNC_TTL s)"
nscluster_has 1 n2@10.214.0.2 || fail "n1's daemon lost n2"
nscluster_has 2 n1@10.214.0.1 || fail "n2's daemon lost n1"
wait_until 10 grep -qs "^EPMDX DROPPED" "$TMP/n1.log" || {
	cat "$TMP/n1.log"
	fail ":epmdx.nodes() on n1 still lists n3"
}
# RESOLVE on host 1 gives n2's host address (from the stream it came by,
# or from what host 2's daemon wrote to etcd).
out=$(nsctl 1 resolve n2@10.214.0.2) || fail "resolve failed"
case $out in
*" address 10.214.0.2") ;;
*) fail "resolve n2@10.214.0.2 on host 1: $out" ;;
esac
exit 0
