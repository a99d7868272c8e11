#!/bin/bash
# One byte at a time: NAMES, PORT2 and ALIVE2 written byte by byte are
# answered as if whole; one byte of header alone gets neither a reply nor
# a close.
# A node registered before (keeper) is still listed afterwards.
. "$(dirname "$0")/lib.sh"

start_daemon -packet_timeout 30
start_holder keeper register keeper 1 "$TMP/keeper.ready" 200
wait_ready keeper 20
names_has keeper0000 || fail "keeper not registered"

hc frames bytewise || fail "bytewise frames"

daemon_ok
names_has keeper0000 || fail "keeper no longer listed after bytewise frames"
note "dropped=$(status_get dropped) timeouts=$(status_get timeouts)"
[ "$(status_get timeouts)" = 0 ] || fail "a bad frame was closed by the timeout"
