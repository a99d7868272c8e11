#!/bin/bash
# 40-port2-found: PORT_PLEASE2 for a registered name answers, in one reply
# followed by a close, 'w' 0 PortNo NodeType Protocol High Low Nlen Name
# Elen Extra with every field echoed as registered (an empty Extra is sent
# as Elen 0); one trailing NUL after the name is accepted; the lookup is
# case-sensitive.
# Reference: epmd-reference.md 1.3.
. "$(dirname "$0")/lib.sh"

start_daemon
register foo 4567 --type 72 --proto 1 --high 7 --low 3 --extra 00ff10
register bar 1234
want_foo="7700$(hex16 4567)4801000700030003$(hexof foo)000300ff10"
want_bar="7700$(hex16 1234)4d00000600050003$(hexof bar)0000"

out=$(wire --str zfoo)
assert_eq "$?" 0 "wire exit (0 = closed after the reply)"
assert_eq "$out" "$want_foo" "PORT2 reply for foo"
assert_eq "$(wire --str 'zfoo\x00')" "$want_foo" "PORT2 reply for foo + NUL"
assert_eq "$(wire --str zbar)" "$want_bar" "PORT2 reply for bar (empty Extra)"
assert_eq "$(wire --str zFOO)" "7701" "PORT2 reply for FOO (case differs)"
assert_eq "$(wire --str zfo)" "7701" "PORT2 reply for fo (prefix)"
