#!/bin/bash
# 87-watch-data-closes: a WATCH subscriber sends nothing after its
# request; one that does is closed (after its table) and logged as a bad
# request, and the daemon keeps serving, the other subscribers included.
. "$(dirname "$0")/lib.sh"
epmdx_only

start_daemon
out=$("$PYTHON" - "$TESTS_LIB" "$PORT" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import epmd
port = int(sys.argv[2])
other = epmd.watch(port=port)
ow = epmd.WatchLines(other)
assert ow.next(5) == ["="]
s = epmd.watch(port=port)
w = epmd.WatchLines(s)
assert w.next(5) == ["="]
s.sendall(b"x")
print("closed" if w.next(5) is None and w.closed else "open")
r, _ = epmd.register("late", 4567, epmd_port=port)
print(ow.next(5)[:2])
PY
) || fail "client failed: $out"
assert_eq "$out" "closed
['+', 'late']" "data after WATCH"
grep -q 'reason="data after WATCH", closing' "$TMP/daemon.log" ||
    fail "no log line"
daemon_ok
