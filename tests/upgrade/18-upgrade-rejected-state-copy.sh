#!/bin/bash
# 18-upgrade-rejected-state-copy: a rejected handover never strands a
# node, even when its socket has another copy elsewhere (systemd's fd
# store keeps one of every registration socket).  A daemon started on a
# damaged state (another format version; a record with a bad CRC) while
# the test keeps its own copy of the handed-over connection must still
# disconnect it: the node's end sees EOF, so it registers again.  The
# control: the same state undamaged keeps the connection open.
. "$(dirname "$0")/lib.sh"
epmdx_only

for kind in version bad-crc; do
	start_state "$kind" --keep-copy
	grep -aq 'damaged' "$TMP/daemon.log" || {
		cat "$TMP/daemon.log" >&2
		fail "$kind: no 'damaged' in the log"
	}
	assert_eq "$PEER" eof "$kind: the node's connection (a copy held)"
	alive "$DAEMON_PID" || fail "$kind: daemon died"
	assert_eq "$(names)" "port $PORT" "$kind: NAMES"
	kill_wait "$STATE_PID"
	dead "$DAEMON_PID" || fail "$kind: daemon still running"
done

start_state valid --keep-copy
grep -aq 'upgrade: adopted listeners=1 registrations=1 ' \
    "$TMP/daemon.log" || fail "valid: not adopted"
assert_eq "$PEER" open "valid: the registration's connection"
kill_wait "$STATE_PID"
dead "$DAEMON_PID" || fail "valid: daemon still running"
