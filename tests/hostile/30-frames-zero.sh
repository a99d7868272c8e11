#!/bin/bash
# Len 0 frames (with and without bytes after): closed at once, no reply.
# A node registered before (keeper) is still listed afterwards.
. "$(dirname "$0")/lib.sh"

start_daemon -packet_timeout 30
start_holder keeper register keeper 1 "$TMP/keeper.ready" 200
wait_ready keeper 20
names_has keeper0000 || fail "keeper not registered"

hc frames zero || fail "zero frames"

daemon_ok
names_has keeper0000 || fail "keeper no longer listed after zero frames"
note "dropped=$(status_get dropped) timeouts=$(status_get timeouts)"
[ "$(status_get timeouts)" = 0 ] || fail "a bad frame was closed by the timeout"
