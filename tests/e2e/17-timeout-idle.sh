#!/bin/bash
# 17-timeout-idle: with -packet_timeout 2 an idle (silent) connection is
# closed by the server, not before 2 s and well within 10 s; a connection
# that sent half a request is closed the same way.
# Reference: epmd-reference.md 2 (packet timeout for unregistered conns).
. "$(dirname "$0")/lib.sh"

start_daemon -packet_timeout 2
{ out=$(wire --raw --hex "" --timeout 12 --elapsed); echo "rc=$?"; echo "$out"; } \
    >"$TMP/idle" &
p1=$!
{ out=$(wire --raw --hex 0005 --str zab --timeout 12 --elapsed); echo "rc=$?"; echo "$out"; } \
    >"$TMP/partial" &
p2=$!
track_pid "$p1"
track_pid "$p2"
wait "$p1" "$p2"	# bounded: wire gives up after 12 s
for f in idle partial; do
	res=$(cat "$TMP/$f")
	rc=$(sed -n 1p "$TMP/$f")
	reply=$(sed -n 2p "$TMP/$f")
	el=$(sed -n 3p "$TMP/$f")
	assert_eq "$rc" "rc=0" "$f connection: wire exit (0 = closed, 2 = open after 12 s)"
	assert_eq "$reply" "" "$f connection: bytes received"
	awk -v e="$el" 'BEGIN { exit !(e >= 2.0 && e < 10.0) }' ||
	    fail "$f connection closed after $el s, want >= 2 and < 10 ($res)"
done
daemon_ok
