#!/bin/bash
# 65-stop-not-relaxed: STOP without the relaxed check is refused silently:
# closed with no reply, and the node stays registered.
# Reference: epmd-reference.md 1.7.
. "$(dirname "$0")/lib.sh"

start_daemon
register victim 1234
for req in svictim snosuch s; do
	out=$(wire --str "$req")
	rc=$?
	assert_eq "$out" "" "reply to STOP '$req' (not relaxed)"
	assert_eq "$rc" 0 "wire exit for '$req' (0 = closed)"
done
names_has victim || fail "victim no longer listed"
alive "$REG_PID" || fail "victim's connection was closed"
