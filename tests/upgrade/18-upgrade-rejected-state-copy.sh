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

# state KIND: the daemon on KIND with a copy kept; PEER is eof or open.
state()
{
	PORT=$(free_port) || fail "no free port"
	: >"$TMP/daemon.log"
	"$PYTHON" "$EPMDCL" state --kind "$1" --epmd "$EPMD" -p "$PORT" \
	    --log "$TMP/daemon.log" --hold 60 --keep-copy \
	    >"$TMP/state.out" 2>&1 &
	STATE_PID=$!
	track_pid "$STATE_PID"
	wait_until 10 grep -q '^pid ' "$TMP/state.out" ||
	    fail "$1: daemon not started: $(cat "$TMP/state.out")"
	DAEMON_PID=$(sed -n 's/^pid //p' "$TMP/state.out")
	track_pid "$DAEMON_PID"
	wait_until 20 grep -q '^peer ' "$TMP/state.out" ||
	    fail "$1: state helper did not finish: $(cat "$TMP/state.out")"
	grep -q '^ready$' "$TMP/state.out" || {
		cat "$TMP/daemon.log" >&2
		fail "$1: no ready line"
	}
	PEER=$(sed -n 's/^peer //p' "$TMP/state.out")
}

for kind in version bad-crc; do
	state "$kind"
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

state valid
grep -aq 'upgrade: adopted listeners=1 registrations=1 ' \
    "$TMP/daemon.log" || fail "valid: not adopted"
assert_eq "$PEER" open "valid: the registration's connection"
kill_wait "$STATE_PID"
dead "$DAEMON_PID" || fail "valid: daemon still running"
