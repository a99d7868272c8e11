#!/bin/bash
# 32-alive2-trailing-ignored: bytes after Extra in an ALIVE2 are silently
# ignored: the node registers and PORT2 echoes only the declared Extra.
# Reference: epmd-reference.md 1.1 (check 4).
. "$(dirname "$0")/lib.sh"

start_daemon
register tail 4321 --extra 0102 --elen 1
assert_match "$REG_REPLY" "7600[0-9a-f]{8}" "ALIVE2 reply (Elen 1, 2 bytes sent)"
assert_eq "$(wire --str ztail)" "7700$(hex16 4321)4d00000600050004$(hexof tail)000101" \
    "PORT2 echo (only the declared Extra)"
