#!/bin/bash
# nodes.sh: how fast real nodes find each other through epmdx_epmd.
#
#   bash tests/bench/nodes.sh        (run by `make bench` too)
#
# Three hosts made of network namespaces (10.217.0.1-3, a bridge between
# them; root needed, else the run is skipped), each with its own epmdx on
# port 4369, syncing (static peers, interval 1, ttl 10), host names h1, h2,
# h3.  Every node runs -connect_all false, so that no connection comes
# from global's mesh-making: only from what is measured.
#
# 1. Join latency.  Autoconnecting nodes o2@h2 and o3@h3 (-epmd_module
#    epmdx_epmd -epmdx_autoconnect true) log the time of each nodeup.  A
#    node on h1 starts its distribution (net_kernel:start/2, so ALIVE2 to
#    its daemon) as t1@h1, ..., tN@h1 in turn, TRIALS times, and stops it
#    once both observers are connected.  A sample is the time from just
#    before net_kernel:start to the later of the two nodeups.  p50, p99,
#    max.  For reference: libcluster's DNSPoll polls every 5 s by default,
#    its Gossip strategy heartbeats every 1-5 s at random.  Goal: p99 under
#    100 ms.
# 2. Resolve cost.  b@h2 waits; a node on h1 connects to it CONNECTS times
#    (net_kernel:connect_node/1, then disconnect and wait until it is gone),
#    once with epmdx_epmd (one RESOLVE to the local daemon: address, port
#    and version) and once with stock resolution (h2 from a hosts file,
#    then PORT_PLEASE2 to h2's port mapper, the remote round trip), the
#    two runs interleaved in rounds.  p50 and p99 of each, and the ratio.
#
# Output: a table on stdout and $BUILD/bench-nodes.json.  Exit 0 when the
# run completed (a missed goal is reported, not failed), 1 when something
# could not be run, 0 with a note when namespaces or erl are not available.
#
# Environment:
#   BUILD                build directory (default build)
#   EPMDX                daemon under test (default $BUILD/epmdx)
#   BENCH_NODES_TRIALS   join trials (default 100)
#   BENCH_NODES_CONNECTS connections per resolver (default 200)

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
unset ERL_EPMD_ADDRESS ERL_EPMD_PORT NOTIFY_SOCKET LISTEN_FDS LISTEN_PID
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

BUILD=${BUILD:-build}
EPMDX=${EPMDX:-$BUILD/epmdx}
EPMDX=$(cd "$(dirname "$EPMDX")" && pwd)/$(basename "$EPMDX")
EBIN=$(dirname "$EPMDX")/ebin
TRIALS=${BENCH_NODES_TRIALS:-100}
CONNECTS=${BENCH_NODES_CONNECTS:-200}
JSON=$BUILD/bench-nodes.json
NET=10.217.0
PRE=epxb$$
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

note() { echo "bench-nodes: $*" >&2; }
[ -x "$EPMDX" ] || { note "$EPMDX missing (make)"; exit 1; }
command -v erl >/dev/null 2>&1 || { note "skipped: erl not installed"; exit 0; }
[ -e "$EBIN/epmdx_epmd.beam" ] || { note "$EBIN/epmdx_epmd.beam missing (make)"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-bench-nodes.XXXXXX") || exit 1

# --- processes and namespaces we make, and only those, go on exit ------
PIDS=""
track() { PIDS="$1 $PIDS"; }
cleanup()
{
	local p k
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.3
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	for k in br h1 h2 h3; do
		ip netns del "$PRE-$k" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

if ! ip netns add "$PRE-br" 2>/dev/null; then
	note "skipped: cannot make network namespaces (root needed)"
	exit 0
fi
ip -n "$PRE-br" link add br0 type bridge || exit 1
ip -n "$PRE-br" link set br0 up || exit 1
for k in 1 2 3; do
	ip netns add "$PRE-h$k" || exit 1
	ip -n "$PRE-br" link add "v$k" type veth peer name eth0 \
	    netns "$PRE-h$k" || exit 1
	ip -n "$PRE-br" link set "v$k" master br0 up || exit 1
	ip -n "$PRE-h$k" addr add "$NET.$k/24" dev eth0 || exit 1
	ip -n "$PRE-h$k" link set eth0 up || exit 1
	ip -n "$PRE-h$k" link set lo up || exit 1
done

od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$TMP/secret"
chmod 600 "$TMP/secret"
for k in 1 2 3; do
	printf '[sync]\nbackends = static\nhostname = h%s\nsecret_file = %s\npeers = %s\nttl = 10\ninterval = 1\n' \
	    "$k" "$TMP/secret" "$NET.1, $NET.2, $NET.3" >"$TMP/h$k.conf"
	ip netns exec "$PRE-h$k" "$EPMDX" -port 4369 -f "$TMP/h$k.conf" \
	    >"$TMP/d$k.log" 2>&1 </dev/null &
	track $!
done
: >"$TMP/hosts.none"
printf '%s h%s\n' "$NET.1" 1 "$NET.2" 2 "$NET.3" 3 >"$TMP/hosts.all"
for f in none all; do
	printf '{lookup, [file]}.\n{hosts_file, "%s"}.\n' "$TMP/hosts.$f" \
	    >"$TMP/inetrc.$f"
done

cat >"$TMP/bn.erl" <<'EOF'
-module(bn).
-export([observe/0, join/1, connect/3]).

%% Log "NODEUP Node Microseconds" for every node that comes up.
observe() ->
    ok = net_kernel:monitor_nodes(true),
    io:format("OBSERVING~n"),
    observe_loop().
observe_loop() ->
    receive
        {nodeup, N} ->
            io:format("NODEUP ~s ~b~n", [N, erlang:system_time(microsecond)])
    end,
    observe_loop().

%% Start the distribution as t1@h1 ... tN@h1 in turn; each time log the
%% start time, wait until both observers are connected, stop.
join(N) ->
    [join_one(I) || I <- lists:seq(1, N)],
    io:format("DONE~n").
join_one(I) ->
    Name = list_to_atom("t" ++ integer_to_list(I) ++ "@h1"),
    T0 = erlang:system_time(microsecond),
    {ok, _} = net_kernel:start(Name, #{name_domain => shortnames}),
    ok = wait_nodes(['o2@h2', 'o3@h3'], 10000),
    io:format("START ~s ~b~n", [Name, T0]),
    ok = net_kernel:stop(),
    timer:sleep(50).
wait_nodes(Want, Left) when Left > 0 ->
    case Want -- nodes() of
        [] -> ok;
        _ -> timer:sleep(1), wait_nodes(Want, Left - 1)
    end;
wait_nodes(_, _) ->
    timeout.

%% Resolve b@h2 N times the way Mode does (epmdx_epmd: address_please;
%% stock: the host name, then PORT_PLEASE2 to its port mapper), then
%% connect to Node N times; log each time in microseconds.
connect(Mode, Node, N) ->
    resolve(Mode),                      % warm-up: code loading, not counted
    [begin
         {T, _} = timer:tc(fun() -> resolve(Mode) end),
         io:format("RESOLVE ~b~n", [T])
     end || _ <- lists:seq(1, N)],
    [begin
         {T, true} = timer:tc(net_kernel, connect_node, [Node]),
         io:format("CONNECT ~b~n", [T]),
         true = erlang:disconnect_node(Node),
         gone(Node, 1000),
         timer:sleep(5)
     end || _ <- lists:seq(1, N)],
    io:format("DONE~n").
resolve(mod) ->
    {ok, _, _, _} = epmdx_epmd:address_please("b", "h2", inet);
resolve(stock) ->
    {ok, Ip} = erl_epmd:address_please("b", "h2", inet),
    {port, _, _} = erl_epmd:port_please("b", Ip).

gone(Node, Left) ->
    case lists:member(Node, nodes()) of
        true when Left > 0 -> timer:sleep(1), gone(Node, Left - 1);
        _ -> ok
    end.
EOF
erlc -o "$TMP" "$TMP/bn.erl" || exit 1

# node K NAME HOSTS ARGS...: erl on host K; HOSTS is none or all.  It
# execs: run it as `node ... &' (then $! is the node's own pid, which the
# exit trap stops) or in a subshell, `(node ...)'.
node()
{
	local k=$1 name=$2 hosts=$3
	shift 3
	exec ip netns exec "$PRE-h$k" env HOME="$TMP" ERL_INETRC="$TMP/inetrc.$hosts" \
	    ERL_CRASH_DUMP="$TMP/erl_crash.dump" erl ${name:+-sname "$name@h$k"} \
	    -setcookie bench -start_epmd false -connect_all false -noshell \
	    -pa "$EBIN" "$TMP" "$@" </dev/null
}
# wait_for FILE TEXT SECS
wait_for()
{
	local i
	for i in $(seq $(($3 * 10))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	note "no '$2' in $1 after $3 s: $(tail -5 "$1")"
	return 1
}
MOD="-epmd_module epmdx_epmd"

# --- 2. resolve cost (first: no other node to connect to) -------------
node 2 b none $MOD -eval 'io:format("UP~n"), timer:sleep(infinity).' \
    >"$TMP/b.log" 2>&1 &
track $!
wait_for "$TMP/b.log" UP 20 || exit 1
for k in 1 2 3; do
	for i in $(seq 100); do
		ip netns exec "$PRE-h$k" "$(dirname "$EPMDX")/epmdxctl" cluster \
		    2>/dev/null | grep -q '^b@h2 ' && break
		sleep 0.1
	done
done
: >"$TMP/conn.mod"
: >"$TMP/conn.stock"
rounds=4
per=$((CONNECTS / rounds))
for r in $(seq $rounds); do
	(node 1 "rm$r" none $MOD -eval "bn:connect(mod, b@h2, $per), halt()." \
	    >>"$TMP/conn.mod" 2>&1) || { note "epmdx_epmd connects failed"; tail "$TMP/conn.mod"; exit 1; }
	(node 1 "rs$r" all -eval "bn:connect(stock, b@h2, $per), halt()." \
	    >>"$TMP/conn.stock" 2>&1) || { note "stock connects failed"; tail "$TMP/conn.stock"; exit 1; }
done

# --- 1. join latency ----------------------------------------------------
for k in 2 3; do
	node "$k" "o$k" none $MOD -epmdx_autoconnect true \
	    -eval 'bn:observe().' >"$TMP/o$k.log" 2>&1 &
	track $!
	wait_for "$TMP/o$k.log" OBSERVING 20 || exit 1
done
(node 1 "" none $MOD -eval "bn:join($TRIALS), halt()." \
    >"$TMP/join.log" 2>&1) || { note "join driver failed"; tail "$TMP/join.log"; exit 1; }

"$PY" - "$TMP" "$JSON" "$TRIALS" <<'EOF'
import json, sys
tmp, out, trials = sys.argv[1], sys.argv[2], int(sys.argv[3])

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]

def lines(path, tag):
    return [l.split()[1:] for l in open(path) if l.startswith(tag + " ")]

start = {n: int(t) for n, t in lines(tmp + "/join.log", "START")}
up = {}
for o in ("o2", "o3"):
    for n, t in lines("%s/%s.log" % (tmp, o), "NODEUP"):
        if n in start:
            up.setdefault(n, {})[o] = int(t)
join = [(max(v.values()) - start[n]) / 1000.0
        for n, v in up.items() if len(v) == 2]
mod = [int(t[0]) / 1000.0 for t in lines(tmp + "/conn.mod", "CONNECT")]
stock = [int(t[0]) / 1000.0 for t in lines(tmp + "/conn.stock", "CONNECT")]
rmod = [int(t[0]) / 1000.0 for t in lines(tmp + "/conn.mod", "RESOLVE")]
rstock = [int(t[0]) / 1000.0 for t in lines(tmp + "/conn.stock", "RESOLVE")]
res = {
    "join_ms": {"trials": len(join), "p50": pct(join, 50),
                "p99": pct(join, 99), "max": max(join),
                "goal_p99": 100, "met": pct(join, 99) < 100},
    "connect_ms": {
        "epmdx_epmd": {"n": len(mod), "p50": pct(mod, 50),
                       "p99": pct(mod, 99)},
        "stock": {"n": len(stock), "p50": pct(stock, 50),
                  "p99": pct(stock, 99)},
        "ratio_p50": pct(mod, 50) / pct(stock, 50),
    },
    "resolve_ms": {
        "epmdx_epmd": {"n": len(rmod), "p50": pct(rmod, 50),
                       "p99": pct(rmod, 99), "remote_round_trips": 0},
        "stock": {"n": len(rstock), "p50": pct(rstock, 50),
                  "p99": pct(rstock, 99), "remote_round_trips": 2},
        "ratio_p50": pct(rmod, 50) / pct(rstock, 50),
    },
    "reference_ms": {"libcluster_dnspoll_interval": 5000,
                     "libcluster_gossip_heartbeat": [1000, 5000]},
}
json.dump(res, open(out, "w"), indent=1)
j, c = res["join_ms"], res["connect_ms"]
print("== nodes: ALIVE2 on h1 -> in nodes() of autoconnecting o2@h2 and o3@h3")
print("   %d trials: p50 %.1f ms  p99 %.1f ms  max %.1f ms  (goal p99 < 100 ms: %s)"
      % (j["trials"], j["p50"], j["p99"], j["max"],
         "met" if j["met"] else "MISSED"))
print("   libcluster for reference: DNSPoll every 5,000 ms, Gossip every 1,000-5,000 ms")
r = res["resolve_ms"]
print("== nodes: resolving b@h2 from h1 (address and port)")
print("   %-28s %5d  p50 %6.3f ms  p99 %6.3f ms  remote round trips 0" % (
      "epmdx_epmd (local RESOLVE)", r["epmdx_epmd"]["n"],
      r["epmdx_epmd"]["p50"], r["epmdx_epmd"]["p99"]))
print("   %-28s %5d  p50 %6.3f ms  p99 %6.3f ms  remote round trips 2" % (
      "stock (hosts, PORT_PLEASE2)", r["stock"]["n"], r["stock"]["p50"],
      r["stock"]["p99"]))
print("   ratio epmdx_epmd/stock at p50: %.2f (the hosts here are a veth"
      % r["ratio_p50"])
print("   apart: a remote round trip costs what a local one does; on a network")
print("   stock adds 2 RTTs and a host name lookup, epmdx_epmd none)")
print("== nodes: net_kernel:connect_node/1, h1 -> h2 (handshake included)")
print("   %-28s %5d  p50 %6.2f ms  p99 %6.2f ms" % ("epmdx_epmd (local RESOLVE)",
      c["epmdx_epmd"]["n"], c["epmdx_epmd"]["p50"], c["epmdx_epmd"]["p99"]))
print("   %-28s %5d  p50 %6.2f ms  p99 %6.2f ms" % ("stock (remote PORT_PLEASE2)",
      c["stock"]["n"], c["stock"]["p50"], c["stock"]["p99"]))
print("   ratio epmdx_epmd/stock at p50: %.2f" % c["ratio_p50"])
if len(join) < trials:
    print("   note: %d of %d join trials seen by both observers" % (len(join), trials))
EOF
