#!/bin/bash
# 55-dump-format: DUMP answers the 4-byte port, then for each registered
# node (most recent first) "active name     <N> at port P, fd = F\n" + NUL,
# then for each unregistered name remembered (oldest first)
# "old/unused name <N>, port = P, fd = F \n" + NUL, then closes. The fd
# numbers are implementation details and are matched as any number.
# Reference: epmd-reference.md 1.5.
. "$(dirname "$0")/lib.sh"

start_daemon
assert_eq "$(wire --str d)" "$(hex32 "$PORT")" "DUMP with nothing registered"

register foo 1111
foo_pid=$REG_PID
register bar 2222
bar_pid=$REG_PID
register baz 3333
register qux 4444
kill_wait "$bar_pid"
wait_until 5 names_lacks bar || fail "bar still listed"
kill_wait "$foo_pid"
wait_until 5 names_lacks foo || fail "foo still listed"

hex=$(wire --str d)
assert_eq "${hex:0:8}" "$(hex32 "$PORT")" "DUMP header"
out=$(wire --str d --out raw | tail -c +5 | tr '\0' '@')
want="active name     <qux> at port 4444, fd = [0-9]+
@active name     <baz> at port 3333, fd = [0-9]+
@old/unused name <bar>, port = 2222, fd = [0-9]+ 
@old/unused name <foo>, port = 1111, fd = [0-9]+ 
@"
assert_match "$out" "$want" "DUMP body (NUL shown as @)"
