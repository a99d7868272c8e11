#!/bin/bash
# 93-watch-nonlocal-dropped: WATCH is for local peers only.  A peer that
# is not local (stock's rule) has its WATCH closed with no byte written,
# logged like the other epmdx requests; a local peer on the same daemon
# gets its table.
#
# Runs in a network namespace of its own (unshare -n: needs root) whose
# lo carries 192.0.2.1 and 192.0.2.2: a client bound to 192.0.2.2 that
# connects to 192.0.2.1 is a remote peer, with no traffic leaving the
# namespace.
. "$(dirname "$0")/../lib/remote-netns.sh" "$@"
. "$(dirname "$0")/lib.sh"
epmdx_only

start_daemon
out=$("$PYTHON" -c '
import sys
sys.path.insert(0, sys.argv[1])
import epmd
s = epmd.connect("192.0.2.1", int(sys.argv[2]), bind=sys.argv[3])
s.sendall(epmd.simple(epmd.X_WATCH))
data, closed = epmd.read_until_close(s, 5)
print(data.hex(), "closed" if closed else "open")
' "$TESTS_LIB" "$PORT" 192.0.2.2) || fail "client failed"
assert_eq "$out" " closed" "non-local WATCH: closed, no bytes"
wait_until 5 grep -q 'WATCH from a non-local peer' "$TMP/daemon.log" ||
    fail "no log line for the refused WATCH"

out=$("$PYTHON" -c '
import sys
sys.path.insert(0, sys.argv[1])
import epmd
s = epmd.connect("192.0.2.1", int(sys.argv[2]), bind=sys.argv[3])
s.sendall(epmd.simple(epmd.X_WATCH))
print(epmd.WatchLines(s).next(5))
' "$TESTS_LIB" "$PORT" 192.0.2.1) || fail "client failed"
assert_eq "$out" "['=']" "local WATCH: its (empty) table"
