#!/bin/bash
# 04-env-port: without -port the daemon listens on ERL_EPMD_PORT (and
# reports it in NAMES); -port overrides ERL_EPMD_PORT.
# Reference: epmd-reference.md 3 (environment).
. "$(dirname "$0")/lib.sh"

ERL_EPMD_PORT=$PORT "$EPMD" >"$TMP/a.log" 2>&1 </dev/null &
pid=$!
track_pid "$pid"
wait_daemon "$PORT" "$pid" "$TMP/a.log"
kill_wait "$pid"

p2=$(other_port) || fail "no second port"
ERL_EPMD_PORT=$p2 "$EPMD" -port "$PORT" >"$TMP/b.log" 2>&1 </dev/null &
pid=$!
track_pid "$pid"
wait_daemon "$PORT" "$pid" "$TMP/b.log"
names "$p2" >/dev/null 2>&1 && fail "daemon with -port $PORT also answers on ERL_EPMD_PORT $p2"
exit 0
