#!/bin/bash
# 50-names-empty: NAMES with no node registered answers exactly the 4-byte
# big-endian port the daemon was configured with, then closes; over ::1
# too.
# Reference: epmd-reference.md 1.4.
. "$(dirname "$0")/lib.sh"

start_daemon
out=$(wire --str n)
assert_eq "$?" 0 "wire exit (0 = closed)"
assert_eq "$out" "$(hex32 "$PORT")" "NAMES reply with no nodes"
out=$(wire -H ::1 --str n)
assert_eq "$?" 0 "wire exit over ::1"
assert_eq "$out" "$(hex32 "$PORT")" "NAMES reply over ::1"
