#!/bin/bash
# 41-port2-not-found: PORT_PLEASE2 for a name that is not registered (never,
# or no longer) answers exactly 'w' 1 (77 01) and closes.
# Reference: epmd-reference.md 1.3 (not found).
. "$(dirname "$0")/lib.sh"

start_daemon
out=$(wire --str znosuch)
assert_eq "$?" 0 "wire exit (0 = closed after the reply)"
assert_eq "$out" "7701" "PORT2 reply for an unknown name"
wire --register was 1000 --timeout 0.2 >/dev/null
wait_until 5 names_lacks was || fail "was still listed after close"
out=$(wire --str zwas)
assert_eq "$?" 0 "wire exit for an unregistered name"
assert_eq "$out" "7701" "PORT2 reply for a name no longer registered"
