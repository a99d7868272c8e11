#!/bin/bash
# 66-stop-relaxed-unknown: with -relaxed_command_check, STOP for a name that
# is not registered answers "NOEXIST" immediately followed by "STOPPED"
# (stock has no return between the two writes), then closes. A bare 's' is
# closed with no reply.
# Reference: epmd-reference.md 1.7.
. "$(dirname "$0")/lib.sh"

start_daemon -relaxed_command_check
register other 1234
out=$(wire --str snosuch)
assert_eq "$?" 0 "wire exit (0 = closed)"
assert_eq "$out" "$(hexof NOEXISTSTOPPED)" "STOP reply for an unknown name"
out=$(wire --str s)
assert_eq "$out" "" "reply to a bare 's'"
names_has other || fail "other no longer listed"
