#!/bin/bash
# 13-upgrade-damaged-state: a daemon started with EPMDX_HANDOVER_FD on a
# damaged state (garbage; a bare header; another format version; a record
# with a bad CRC; a state cut short; a registration whose descriptor is
# not a socket) logs "damaged", does not crash, serves NAMES with an empty
# table on the listening socket EPMDX_HANDOVER_LISTEN names (made by the
# test on 127.0.0.1 only, so [::1] stays closed), and closes the other
# socket it inherited: the test's end of that TCP connection sees EOF.
# Never half a state: the registration the damaged state describes is not
# served.  The control: the same state undamaged is adopted (the
# registration answers PORT2 with its Extra, its socket stays open), so
# the states are well formed but for the damage.
. "$(dirname "$0")/lib.sh"
epmdx_only

# The damaged states.
for kind in garbage header-only version bad-crc truncated not-socket; do
	start_state "$kind"
	cat "$TMP/state.out"
	grep -aq 'damaged' "$TMP/daemon.log" || {
		cat "$TMP/daemon.log" >&2
		fail "$kind: no 'damaged' in the log"
	}
	grep -aq 'upgrade: adopted' "$TMP/daemon.log" &&
	    fail "$kind: the damaged state was adopted"
	assert_eq "$PEER" eof "$kind: the inherited connection"
	sleep 0.5
	alive "$DAEMON_PID" || {
		cat "$TMP/daemon.log" >&2
		fail "$kind: daemon died"
	}
	assert_eq "$(names)" "port $PORT" "$kind: NAMES"
	# Not served: the half state's registration.
	assert_eq "$(raw_request "$(printf '0005%s' "$(hexof zhalf)")")" "7701" \
	    "$kind: PORT2 half"
	# Its own sockets were not opened: only the inherited listener.
	"$PYTHON" "$EPMDCL" request -H ::1 -p "$PORT" 00016e >/dev/null 2>&1 &&
	    fail "$kind: answers on [::1]: it opened its own listeners"
	grep -aiq 'fatal' "$TMP/daemon.log" && fail "$kind: fatal in the log"
	# The helper stops the daemon, its child, and reaps it.
	kill_wait "$STATE_PID"
	dead "$DAEMON_PID" || fail "$kind: daemon still running"
done

# The control: the same state, undamaged.
start_state valid
grep -aq 'upgrade: adopted listeners=1 registrations=1 remembered=1 ' \
    "$TMP/daemon.log" || {
	cat "$TMP/daemon.log" >&2
	fail "valid: not adopted"
}
grep -aq damaged "$TMP/daemon.log" && fail "valid: called damaged"
assert_eq "$PEER" open "valid: the registration's connection"
assert_eq "$(names)" "port $PORT
name half at port 5555" "valid: NAMES"
# w, 0, port 5555, M, tcp, 6, 5, "half", Extra 00 'x' 00
assert_eq "$(raw_request "$(printf '0005%s' "$(hexof zhalf)")")" \
    "7700$(hex16 5555)4d0000060005$(hex16 4)$(hexof half)0003007800" \
    "valid: PORT2 half"
kill_wait "$STATE_PID"
dead "$DAEMON_PID" || fail "valid: daemon still running"
