#!/bin/bash
# 66-libcluster-standin: contrib/elixir's Cluster.Strategy.Epmdx, run by a
# real Elixir node against a stand-in of libcluster's public API
# (tests/lib/libcluster_standin), joins the cluster its daemon reports
# through WATCH, with no ping and no polling.  Three daemons sync on
# loopback as hosts h1, h2, h3, names Erlang resolves through an ERL_INETRC
# file (h1 127.0.0.1, h2 127.0.0.2, h3 127.0.0.3).  Each daemon answers
# port mapper requests on 127.0.0.N:P (P shared, as a node looks a remote
# node up at the remote host's address on its own epmd port) and takes its
# nodes' registrations on 127.0.0.1:R_N (a node registers on 127.0.0.1 at
# its ERL_EPMD_PORT).
#   - the module compiles with elixirc --warnings-as-errors, and names no
#     libcluster module but Cluster.Strategy and Cluster.Strategy.State;
#   - s@h1 runs the strategy with names ["b", "c*"]; b@h2, registered
#     before, is connected from the initial table; c@h3, started after, on
#     its "+"; x@h2 (matching no pattern) is never connected, nor is s@h1
#     itself;
#   - c@h3 dropped while still in the table is connected again (retry);
#   - b@h2 stops: the strategy calls disconnect_nodes for it (within ttl).
. "$(dirname "$0")/lib.sh"

. "$SYNC_DIR/../lib/libcluster_standin/lib.sh"
COOKIE=libcluster_standin_$$
on_exit show_logs

standin_compile
assert_eq "$(standin_refs)" \
    "Elixir.Cluster.Strategy Elixir.Cluster.Strategy.Epmdx Elixir.Cluster.Strategy.State" \
    "libcluster modules the strategy refers to"

# ------------------------------------------------------------- daemons

read -r -a PP <<<"$(free_ports 4)" || fail "no free ports"
P=${PP[0]}
printf '{host, {127,0,0,1}, ["h1"]}.\n{host, {127,0,0,2}, ["h2"]}.\n{host, {127,0,0,3}, ["h3"]}.\n{lookup, [file]}.\n' \
    >"$TMP/inetrc"
export ERL_INETRC=$TMP/inetrc

# daemon N: host hN listening on 127.0.0.N:P (first socket: the sync port)
# and on 127.0.0.1:R_N (R_1 = P), sockets passed as systemd passes them.
daemon()
{
	local n=$1 r=${PP[$1 - 1]}
	[ "$n" -eq 1 ] && r=$P
	write_conf "$TMP/h$n.conf" "h$n" \
	    "127.0.0.1:$P, 127.0.0.2:$P, 127.0.0.3:$P" \
	    "advertise = 127.0.0.$n:$P"
	"$PYTHON" -c '
import os, socket, sys
want = [(sys.argv[1], int(sys.argv[2])), ("127.0.0.1", int(sys.argv[3]))]
socks = []
for addr, port in want[:1] + [w for w in want[1:] if w != want[0]]:
    s = socket.socket(socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(128)
    socks.append(s)
for i, s in enumerate(socks):
    if s.fileno() != 3 + i:
        os.dup2(s.fileno(), 3 + i)
    os.set_inheritable(3 + i, True)
fd = 3 + len(socks)
os.environ["LISTEN_FDS"] = str(fd - 3)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ.pop("LISTEN_FDNAMES", None)
os.execv(sys.argv[4], sys.argv[4:])
' "127.0.0.$n" "$P" "$r" "$EPMDX" -port "$P" -f "$TMP/h$n.conf" \
	    >>"$TMP/h$n.log" 2>&1 </dev/null &
	track_pid $!
	eval "DPID_h$n=$!"
	eval "R_$n=$r"
	wait_until 10 ctl "127.0.0.$n:$P" status >/dev/null 2>&1 ||
	    fail "daemon h$n does not answer"
	wait_until 10 ctl "127.0.0.1:$r" status >/dev/null 2>&1 ||
	    fail "daemon h$n does not answer on 127.0.0.1:$r"
}

make_secret "$TMP/secret"
daemon 1
daemon 2
daemon 3
# shellcheck disable=SC2154
{ [ -n "$R_2" ] && [ -n "$R_3" ]; } || fail "no registration ports"

# start_node_on NAME HOST N: NAME@HOST, a plain Erlang node registered
# with daemon N; it pings no one.  Pid in NPID_NAME.
start_node_on()
{
	local name=$1 host=$2 n=$3 r
	eval "r=\$R_$n"
	ERL_EPMD_PORT=$r erl -sname "$name@$host" -setcookie "$COOKIE" \
	    -start_epmd false -connect_all false -noinput \
	    </dev/null >"$TMP/node-$name.log" 2>&1 &
	track_pid $!
	eval "NPID_$name=$!"
	wait_until 30 cluster_has "127.0.0.1:$P" "$name@$host" ||
	    fail "$name@$host not in h1's cluster"
}

start_node_on b h2 2

# ------------------------------------------------------------ strategy

standin_run s@h1 "$P" '[epmdx: [names: ["b", "c*"], retry: 1000]]'

# b@h2, in the table when the watch opened.
wait_until 10 grep -qx 'connect b@h2 true' "$CALLS" ||
    fail "b@h2 not connected: $(cat "$CALLS")"
wait_until 5 grep -qs "^nodeup b@h2 " "$NODES" || fail "no nodeup for b@h2"

# c@h3, registered afterwards: its "+" line.  (For the note: a watcher on
# h3 stamps the moment c@h3 registers there.)
"$PYTHON" -c '
import sys, time
sys.path.insert(0, sys.argv[1])
import epmd
w = epmd.WatchLines(epmd.watch(port=int(sys.argv[2])))
end = time.monotonic() + 60
while time.monotonic() < end:
    ln = w.next(end - time.monotonic())
    if ln is None:
        break
    if ln[:3] == ["+", "c", "h3"]:
        print(int(time.time() * 1000), flush=True)
        break
' "$TESTS_LIB" "$R_3" >"$TMP/c-registered.ms" 2>&1 </dev/null &
track_pid $!
start_node_on c h3 3
wait_until 10 grep -qx 'connect c@h3 true' "$CALLS" ||
    fail "c@h3 not connected: $(cat "$CALLS")"
wait_until 5 grep -qs . "$TMP/c-registered.ms" || fail "no + line on h3"
t0=$(cat "$TMP/c-registered.ms")
t1=$(awk '$2 == "nodeup" && $3 == "c@h3" { print $1; exit }' "$NODES.ms")
note "c@h3 in Node.list on s@h1 $((t1 - t0)) ms after its registration on h3"
wait_until 5 grep -q '^nodeup c@h3 \[b@h2 c@h3\]$' "$NODES" ||
    fail "Node.list is not [b@h2, c@h3]: $(cat "$NODES")"

# lines_are N REGEX FILE: FILE has exactly N lines matching REGEX.
lines_are()
{
	[ "$(grep -c "$2" "$3")" -eq "$1" ]
}

# c@h3 goes down while in the table (here s@h1 drops it, told by a hidden
# helper node): connected again after retry (1 s).
ERL_EPMD_PORT=$P timeout -k 5 60 erl -sname t@h1 -hidden -setcookie "$COOKIE" \
    -start_epmd false -noshell -eval "
	true = erpc:call('s@h1', erlang, disconnect_node, ['c@h3']),
	halt()." </dev/null >"$TMP/t.log" 2>&1 ||
    fail "the helper node failed: $(cat "$TMP/t.log")"
wait_until 10 grep -q '^nodedown c@h3 \[b@h2\]$' "$NODES" ||
    fail "c@h3 was not dropped: $(cat "$NODES")"
wait_until 10 lines_are 2 '^connect c@h3 true$' "$CALLS" ||
    fail "c@h3 not connected again: $(cat "$CALLS")"
wait_until 5 lines_are 2 '^nodeup c@h3 \[b@h2 c@h3\]$' "$NODES" ||
    fail "c@h3 not listed again: $(cat "$NODES")"
grep -q 't@h1' "$CALLS" && fail "t@h1 was tried: $(cat "$CALLS")"

# x@h2 matches no pattern: in the cluster, never connected.
hold x "127.0.0.1:$R_2" 30099
wait_until 10 cluster_has "127.0.0.1:$P" x@h2 || fail "x@h2 not in h1's cluster"
sleep 0.5
grep -q 'x@h2' "$CALLS" && fail "x@h2 was connected: $(cat "$CALLS")"
grep -q 's@h1' "$CALLS" && fail "the strategy connected to itself"

# b@h2 stops: the strategy disconnects it.
# shellcheck disable=SC2154
kill_wait "$NPID_b" || fail "b@h2 did not stop"
wait_until $((SYNC_TTL + 5)) grep -qx 'disconnect_nodes epmdx b@h2' "$CALLS" ||
    fail "no disconnect_nodes for b@h2: $(cat "$CALLS")"
wait_until 5 grep -q '^nodedown b@h2 \[c@h3\]$' "$NODES" ||
    fail "b@h2 still listed: $(cat "$NODES")"
alive "$SPID" || fail "the strategy's node died: $(cat "$TMP/s.log")"
grep -q 'connect_nodes epmdx x@h2' "$CALLS" && fail "x@h2 was tried"
true
