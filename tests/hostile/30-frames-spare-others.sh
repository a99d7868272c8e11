#!/bin/bash
# 30-frames-spare-others: bad frames hurt only their own connection.  With
# a node registered (keeper), every bad-frame case of `hclient.py frames`
# (Len 0; Len 3058..65535; unknown opcodes, HTTP, TLS hello, truncated
# requests; pipelined requests; requests trickled byte by byte) is sent;
# afterwards the keeper is still listed and no connection was closed by
# the packet timeout (each bad frame is refused at once).  The reply bytes
# of each case, against stock epmd too, are tests/e2e/10-15's concern.
. "$(dirname "$0")/lib.sh"

start_daemon -packet_timeout 30
start_holder keeper register keeper 1 "$TMP/keeper.ready" 200
wait_ready keeper 20
names_has keeper0000 || fail "keeper not registered"

for kind in zero oversized garbage pipelined bytewise; do
	hc frames "$kind" || fail "$kind frames"
done

daemon_ok
names_has keeper0000 || fail "keeper no longer listed after bad frames"
note "dropped=$(status_get dropped) timeouts=$(status_get timeouts)"
[ "$(status_get timeouts)" = 0 ] || fail "a bad frame was closed by the timeout"
