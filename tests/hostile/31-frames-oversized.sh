#!/bin/bash
# Oversized frames: Len 3058, 4096, 32767 and 65535 are closed at once,
# without waiting for the payload, with no reply; the largest legal frame
# (Len 3057) is still answered; 3060 bytes in one write get no reply.
# A node registered before (keeper) is still listed afterwards.
. "$(dirname "$0")/lib.sh"

start_daemon -packet_timeout 30
start_holder keeper register keeper 1 "$TMP/keeper.ready" 200
wait_ready keeper 20
names_has keeper0000 || fail "keeper not registered"

hc frames oversized || fail "oversized frames"

daemon_ok
names_has keeper0000 || fail "keeper no longer listed after oversized frames"
note "dropped=$(status_get dropped) timeouts=$(status_get timeouts)"
[ "$(status_get timeouts)" = 0 ] || fail "a bad frame was closed by the timeout"
