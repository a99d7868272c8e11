#!/bin/bash
# 88-libcluster-watch-rebuild: contrib/elixir's Cluster.Strategy.Epmdx reads
# the WATCH stream as epmdxctl(1) describes it, against a scripted WATCH
# server (python, below) and the stand-in of libcluster's API:
#   - at "=", one connect_nodes for the table's matching nodes: not the
#     node itself, not a hidden node (type 72), not a name matching no
#     pattern, not a name that cannot be a node's (w\x5cx, w\x unescaped);
#     unknown lines and extra fields are ignored;
#   - "! overflow" then close: logged, the watch opened again; at the new
#     table's "=", disconnect_nodes for the nodes that left in between,
#     connect_nodes for the rest;
#   - a "-" line: disconnect_nodes; a "+" line: connect_nodes.
# (The nodes do not exist: connects fail, and retry is off.)
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/../lib/libcluster_standin/lib.sh"

standin_compile
start_daemon
printf '{host, {127,0,0,1}, ["fh"]}.\n{lookup, [file]}.\n' >"$TMP/inetrc"
export ERL_INETRC=$TMP/inetrc

# The scripted server: connection 1 gets TABLE1 and "=", then (after the
# file step1 appears) "! overflow" and a close; connection 2 gets TABLE2,
# "=", then (after step2) a "-" and a "+" line, and stays open.
"$PYTHON" - "$TMP" <<'EOF' >"$TMP/fake.log" 2>&1 &
import os, socket, sys, time
tmp = sys.argv[1]
e = "\t77\t0\t6\t5\t127.0.0.1"
table1 = ("+\tb\tfh\t30001" + e + "\n"
          "+\tc\tfh\t30002" + e + "\tfuture\tfields\n"
          "+\tw-1\tfh\t30003" + e + "\n"
          "+\tw\\x5cx\tfh\t30008" + e + "\n"
          "+\ts\tfh\t30004" + e + "\n"
          "+\th\tfh\t30005\t72\t0\t6\t5\t127.0.0.1\n"
          "+\tz\tfh\t30006" + e + "\n"
          "?\tsomething\tnew\n"
          "=\n")
table2 = "+\tc\tfh\t30002" + e + "\n=\n"
later2 = "-\tc\tfh\n+\tb\tfh\t30007" + e + "\n"

def wait_file(name):
    end = time.monotonic() + 60
    while not os.path.exists(os.path.join(tmp, name)):
        if time.monotonic() > end:
            sys.exit("no " + name)
        time.sleep(0.05)

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(8)
with open(os.path.join(tmp, "fake.port.tmp"), "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(os.path.join(tmp, "fake.port.tmp"), os.path.join(tmp, "fake.port"))
keep = []
for n in (1, 2):
    c, _ = ls.accept()
    req = c.recv(3)
    print("conn %d request %s" % (n, req.hex()), flush=True)
    if req != b"\x00\x01\xce":
        sys.exit("not a WATCH request")
    if n == 1:
        c.sendall(table1.encode())
        wait_file("step1")
        c.sendall(b"!\toverflow\n")
        c.close()
    else:
        c.sendall(table2.encode())
        wait_file("step2")
        c.sendall(later2.encode())
        keep.append(c)
time.sleep(120)
EOF
track_pid $!
wait_until 10 test -s "$TMP/fake.port" || fail "no fake server"
FP=$(cat "$TMP/fake.port")

standin_run s@fh "$PORT" \
    "[epmdx: [port: $FP, names: [\"b\", \"c\", \"w*\", \"h\", \"s\"], retry: false]]"

# has_call WORD NODE...: a line "WORD epmdx" and exactly the NODEs, in
# any order.
has_call()
{
	local word=$1 want
	shift
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	while read -r w t rest; do
		if [ "$w" = "$word" ] && [ "$t" = epmdx ] &&
		    [ "$(printf '%s\n' "$rest" | tr ' ' '\n' | sort |
		    tr '\n' ' ')" = "$want" ]; then
			return 0
		fi
	done <"$CALLS"
	return 1
}

wait_until 10 has_call connect_nodes b@fh c@fh w-1@fh ||
    fail "no connect_nodes for the table: $(cat "$CALLS")"

: >"$TMP/step1"
wait_until 10 grep -q 'conn 2 request 0001ce' "$TMP/fake.log" ||
    fail "the watch was not opened again: $(cat "$TMP/fake.log" "$TMP/s.log")"
wait_until 10 has_call disconnect_nodes b@fh w-1@fh ||
    fail "no disconnect_nodes for the nodes gone: $(cat "$CALLS")"
wait_until 10 has_call connect_nodes c@fh ||
    fail "no connect_nodes for the new table: $(cat "$CALLS")"
grep -q 'closed the watch: ! overflow' "$TMP/s.log" ||
    fail "the overflow is not logged: $(cat "$TMP/s.log")"

: >"$TMP/step2"
wait_until 10 has_call disconnect_nodes c@fh ||
    fail "no disconnect_nodes for c@fh's - line: $(cat "$CALLS")"
wait_until 10 has_call connect_nodes b@fh ||
    fail "no connect_nodes for b@fh's + line: $(cat "$CALLS")"

bad=$(grep -E '(^| )(s|h|z|w\\x)@fh' "$CALLS" || true)
assert_eq "$bad" "" "calls naming s@fh (itself), h@fh (hidden), z@fh, w\\x@fh"
n=$(grep -c '^connect_nodes' "$CALLS")
assert_eq "$n" 3 "connect_nodes calls (table, table again, one +)"
alive "$SPID" || fail "the strategy's node died: $(cat "$TMP/s.log")"
