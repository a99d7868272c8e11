#!/bin/bash
# 01-daemon-stdout-silent: a daemon in the foreground writes nothing to
# stdout, even while it logs level-0 diagnostics (garbage, bad packet
# sizes, a duplicate name) to stderr.
# Reference: epmd-reference.md 3 (logging: server mode writes nothing to
# stdout), 8 item 15.
. "$(dirname "$0")/lib.sh"

"$EPMD" -port "$PORT" >"$TMP/d.out" 2>"$TMP/d.err" </dev/null &
pid=$!
track_pid "$pid"
wait_daemon "$PORT" "$pid" "$TMP/d.err"
wire --hex ff >/dev/null
wire --raw --hex 0000 >/dev/null
register dup 1234
wire --register dup 1235 --timeout 0.2 >/dev/null
wire --register 'a\x00' 1236 --timeout 1 >/dev/null
wire --str zdup >/dev/null
wait_until 5 test -s "$TMP/d.err" || fail "nothing logged on stderr for bad requests"
kill_wait "$pid"
assert_eq "$(od -An -c "$TMP/d.out")" "" "daemon stdout"
