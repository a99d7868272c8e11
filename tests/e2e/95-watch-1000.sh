#!/bin/bash
# 95-watch-1000: 1,000 WATCH subscribers on one daemon each get their
# table ("="), and each gets the "+" line of a node that registers
# afterwards; STATUS counts them (watchers=1000) while the daemon keeps
# answering.
. "$(dirname "$0")/lib.sh"
epmdx_only
nofile_for 1100

start_daemon
OUT=$TMP/watchers.out
"$PYTHON" "$TESTS_LIB/watchcl.py" -p "$PORT" --count 1000 --expect late \
    --timeout 40 >"$OUT" 2>&1 &
track_pid $!
wait_until 30 grep -q '^synced 1000$' "$OUT" ||
    fail "1000 watchers not all subscribed: $(cat "$OUT")"
wire --hex c8 --out raw | grep -qx 'watchers=1000' ||
    fail "STATUS: $(wire --hex c8 --out raw | grep watchers)"
register late 4567
wait_until 20 grep -q '^got 1000 late ' "$OUT" ||
    fail "not every watcher got the change: $(cat "$OUT")"
note "$(cat "$OUT")"
daemon_ok
