#!/bin/bash
# 94-watch-slow-dropped: a WATCH subscriber that never reads (a small
# receive window) is closed once its queue would pass watch_queue_max
# (4K here), with a rate-limited log line, while the daemon's other
# clients are not delayed: during the flood of changes every
# PORT_PLEASE2 and NAMES on a fresh connection is answered within 0.5 s.
# A subscriber that reads keeps every line.
. "$(dirname "$0")/lib.sh"
epmdx_only

printf 'watch_queue_max = 4K\n' >"$TMP/epmdx.conf"
start_daemon -f "$TMP/epmdx.conf"
out=$("$PYTHON" - "$TESTS_LIB" "$PORT" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[1])
import epmd
port = int(sys.argv[2])
slow = epmd.watch(port=port, rcvbuf=1024)      # never read until the end
fast = epmd.watch(port=port)
fastw = epmd.WatchLines(fast)
assert fastw.next(5) == ["="], "fast watcher: no table"
worst = 0.0
n = 300
for i in range(n):
    name = "n%03d" % i + "x" * 200
    s, _ = epmd.register(name, 20000 + i, epmd_port=port)
    t = time.monotonic()
    r = epmd.request(epmd.port2(name), port=port, secs=5)
    assert r[:2] == b"w\x00", "PORT2 for %s: %r" % (name, r[:2])
    epmd.request(epmd.simple(epmd.NAMES), port=port, secs=5)
    worst = max(worst, time.monotonic() - t)
    s.close()
    # The fast watcher reads as it goes: "+" then "-".
    for want in ("+", "-"):
        ln = fastw.next(5)
        assert ln and ln[0] == want and ln[1] == name, (want, ln)
data, closed = epmd.read_until_close(slow, 10)
print("slow closed=%s bytes=%d ends_overflow=%s worst_ms=%d" % (closed, len(data),
      data.endswith(b"!\toverflow\n") or None, worst * 1000))
PY
) || fail "client failed: $out"
note "$out"
case $out in
"slow closed=True "*) ;;
*) fail "slow watcher not closed: $out" ;;
esac
worst=${out##*worst_ms=}
[ "$worst" -lt 500 ] || fail "a PORT_PLEASE2 + NAMES took $worst ms"
grep -q 'watcher too slow .*watch_queue_max=4096, closing' "$TMP/daemon.log" ||
    fail "no log line for the slow watcher"
daemon_ok
