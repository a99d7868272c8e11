#!/bin/bash
# 89-libcluster-not-epmdx: contrib/elixir's Cluster.Strategy.Epmdx (with the
# stand-in of libcluster's API) on a node whose port mapper is stock epmd
# (the strategy's default port: the node's ERL_EPMD_PORT) logs one error
# saying the daemon is not epmdx, and asks again only a minute later; with
# no daemon at all on its port, it logs "cannot watch", retrying with a
# growing backoff; a listener that never answers is given up after the
# timeout.  None of them crashes the strategy, or its node.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/../lib/libcluster_standin/lib.sh"

standin_compile
start_stock_daemon
NOPORT=$(other_port) || fail "no free port"
[ "$NOPORT" != "$SPORT" ] || NOPORT=$(other_port)

# A listener that accepts and never answers.
"$PYTHON" - "$TMP" <<'EOF2' >"$TMP/silent.log" 2>&1 &
import os, socket, sys, time
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(8)
port = os.path.join(sys.argv[1], "silent.port")
with open(port + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(port + ".tmp", port)
held = []
end = time.monotonic() + 120
while time.monotonic() < end:
    held.append(ls.accept()[0])
EOF2
track_pid $!
wait_until 10 test -s "$TMP/silent.port" || fail "no silent listener"
QP=$(cat "$TMP/silent.port")

standin_run s "$SPORT" \
    "[stock: [], none: [port: $NOPORT], silent: [port: $QP, timeout: 500]]"
wait_until 10 grep -q 'libcluster:stock.*is not epmdx' "$TMP/s.log" ||
    fail "no 'not epmdx' error: $(cat "$TMP/s.log")"
wait_until 10 grep -q "libcluster:none.*cannot watch the epmdx daemon at 127.0.0.1:$NOPORT: connection refused" \
    "$TMP/s.log" || fail "no 'cannot watch' warning: $(cat "$TMP/s.log")"
wait_until 10 grep -q "libcluster:silent.*the daemon at 127.0.0.1:$QP gave WATCH no answer (timeout)" \
    "$TMP/s.log" || fail "no 'no answer' warning: $(cat "$TMP/s.log")"
sleep 3
n=$(grep -c 'libcluster:stock.*is not epmdx' "$TMP/s.log")
assert_eq "$n" 1 "'not epmdx' errors in 3 s"
n=$(grep -c 'libcluster:none.*cannot watch' "$TMP/s.log")
{ [ "$n" -ge 3 ] && [ "$n" -le 8 ]; } ||
    fail "$n 'cannot watch' warnings in about 3 s (backoff 0.1 s doubling)"
alive "$SPID" || fail "the strategy's node died: $(cat "$TMP/s.log")"
grep -q 'connect_nodes' "$CALLS" && fail "connect_nodes called: $(cat "$CALLS")"
alive "$STOCK_PID" || fail "stock epmd died"
true
