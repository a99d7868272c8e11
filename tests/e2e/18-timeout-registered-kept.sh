#!/bin/bash
# 18-timeout-registered-kept: the packet timeout applies only to connections
# that are not registered: with -packet_timeout 1 (idle connections closed
# within about 3 s) a registered node's connection is still open, and the
# node still listed, after 4 s.
# Reference: epmd-reference.md 2 (packet timeout), 1.8.
. "$(dirname "$0")/lib.sh"

start_daemon -packet_timeout 1
register keep 5555
assert_match "$REG_REPLY" "7600[0-9a-f]{8}" "ALIVE2 reply"
sleep 4
assert_eq "$(cat "$REG_OUT")" "$REG_REPLY" \
    "registration holder output after 4 s (a 2nd line means it was closed)"
alive "$REG_PID" || fail "registration holder ended"
names_has keep || fail "keep no longer listed after 4 s with -packet_timeout 1"
