#!/bin/bash
# 52-ipv6-loopback: the daemon serves ::1 as well as 127.0.0.1, and ::1 is a
# local peer: a node registered over ::1 is listed over 127.0.0.1 and found
# by PORT2 over ::1; DUMP over ::1 answers.
# Reference: epmd-reference.md 2 (local peers, default listen sockets).
. "$(dirname "$0")/lib.sh"

"$PYTHON" -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' \
    2>/dev/null || skip "no IPv6 loopback on this machine"
start_daemon
register six 6666 -H ::1
assert_match "$REG_REPLY" "7600[0-9a-f]{8}" "ALIVE2 reply over ::1"
assert_eq "$(names)" "port $PORT
name six at port 6666" "NAMES over 127.0.0.1"
assert_eq "$(wire -H ::1 --str zsix)" "7700$(hex16 6666)4d00000600050003$(hexof six)0000" \
    "PORT2 over ::1"
out=$(wire -H ::1 --str d)
assert_match "$out" "$(hex32 "$PORT")$(hexof 'active name     <six> at port 6666, fd = ')[0-9a-f]+0a00" \
    "DUMP over ::1"
