#!/bin/bash
# 02-busy-port: a second daemon started on a port that a running daemon
# already holds exits 0 at once, silently (nothing on stdout or stderr),
# and the first one keeps serving.
# Reference: epmd-reference.md 2 (EADDRINUSE means exit 0 silently), 8
# item 14.
. "$(dirname "$0")/lib.sh"

start_daemon
register first 1111
timeout --foreground -k 2 10 "$EPMD" -port "$PORT" >"$TMP/2.out" 2>"$TMP/2.err" </dev/null
rc=$?
assert_eq "$rc" 0 "second daemon's exit code"
assert_eq "$(cat "$TMP/2.out" "$TMP/2.err")" "" "second daemon's output"
daemon_ok
names_has first || fail "first no longer listed"
