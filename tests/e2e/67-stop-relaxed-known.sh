#!/bin/bash
# 67-stop-relaxed-known: with -relaxed_command_check, STOP for a registered
# name answers "STOPPED" and closes; the node's registration connection
# sees EOF, NAMES no longer lists it and DUMP shows it as old/unused.
# Reference: epmd-reference.md 1.7.
. "$(dirname "$0")/lib.sh"

start_daemon -relaxed_command_check
register victim 1234
vout=$REG_OUT
register other 4321
out=$(wire --str svictim)
assert_eq "$?" 0 "wire exit (0 = closed)"
assert_eq "$out" "$(hexof STOPPED)" "STOP reply for a registered name"
wait_until 5 file_lines_ge "$vout" 2 || fail "victim's connection not closed after STOP"
assert_match "$(sed -n 2p "$vout")" "closed [0-9.]+" "victim's connection after STOP"
assert_eq "$(names)" "port $PORT
name other at port 4321" "NAMES after STOP"
out=$(wire --str d --out raw | tr '\0' '@')
assert_contains "$out" "@old/unused name <victim>, port = 1234, fd = " "DUMP after STOP"
