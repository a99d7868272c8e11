#!/bin/bash
# 03-daemon-flag: "-daemon" returns 0 at once with no output and leaves a
# detached daemon serving the port; it is stopped with a KILL request
# (OK), after which the port is free again.
# Reference: epmd-reference.md 3 (-daemon).
. "$(dirname "$0")/lib.sh"

# The detached daemon is not our child: if the KILL request does not stop
# it, find it by its listening port and stop it by pid.
reap_detached()
{
	local p
	for p in $(ss -ltnpH "sport = :$PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
		kill -KILL "$p" 2>/dev/null
	done
}
trap 'rc=$?; reap_detached; (exit $rc); cleanup' EXIT

timeout --foreground -k 2 10 "$EPMD" -daemon -port "$PORT" >"$TMP/o" 2>&1 </dev/null
rc=$?
assert_eq "$rc" 0 "-daemon exit code"
assert_eq "$(cat "$TMP/o")" "" "-daemon output"
wait_until 10 names_lacks nosuch || fail "detached daemon not answering NAMES on $PORT"
assert_eq "$(wire --str k)" "$(hexof OK)" "KILL reply"
port_free() { ! names "$PORT" >/dev/null 2>&1; }
wait_until 5 port_free || fail "detached daemon still answering after KILL"
