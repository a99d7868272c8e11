#!/bin/bash
# 06-delay-write: "-delay_write 1" (a debug option) is accepted and delays
# replies: NAMES still gets its exact answer, after at least 1 s.
# Reference: epmd-reference.md 2 (delay_write), 3.
. "$(dirname "$0")/lib.sh"

start_daemon -delay_write 1
out=$(wire --str n --elapsed --timeout 10)
assert_eq "$(sed -n 1p <<<"$out")" "$(hex32 "$PORT")" "NAMES reply"
el=$(sed -n 2p <<<"$out")
awk -v e="$el" 'BEGIN { exit !(e >= 1.0 && e < 8.0) }' ||
    fail "NAMES answered after $el s, want >= 1 s (and < 8 s)"
