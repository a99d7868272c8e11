#!/bin/bash
# 22-alive2-duplicate: registering a name that is already registered gets
# the error reply with creation 99 (v form 76 01 00000063 for high 6, y form
# 79 01 0063 for high 5), the refused connection is kept open (still open
# after 2 s), and the first registration is untouched.
# Reference: epmd-reference.md 1.1 (check 6, keep = TRUE even on error).
. "$(dirname "$0")/lib.sh"

start_daemon
register dup 1111
assert_match "$REG_REPLY" "7600[0-9a-f]{8}" "first ALIVE2 reply"

out=$(wire --register dup 2222 --timeout 2)
rc=$?
assert_eq "$(sed -n 1p <<<"$out")" "760100000063" "duplicate ALIVE2 reply (high 6)"
assert_eq "$(sed -n 2p <<<"$out")" "open" "refused connection after 2 s"
assert_eq "$rc" 2 "wire exit (2 = still open)"

out=$(wire --register dup 3333 --high 5 --timeout 0.5)
assert_eq "$(sed -n 1p <<<"$out")" "79010063" "duplicate ALIVE2 reply (high 5)"
assert_eq "$(sed -n 2p <<<"$out")" "open" "refused connection (high 5)"

out=$(names)
assert_eq "$out" "port $PORT
name dup at port 1111" "NAMES after the refused duplicates"
out=$(wire --str zdup)
assert_eq "$out" "7700$(hex16 1111)4d00000600050003$(hexof dup)0000" \
    "PORT2 for dup (the first registration)"
alive "$REG_PID" || fail "first registration's connection was closed"
