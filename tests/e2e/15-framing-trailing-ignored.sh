#!/bin/bash
# 15-framing-trailing-ignored: NAMES, DUMP and KILL look only at the opcode:
# "nXYZ" is a normal NAMES, "dXYZ" a normal DUMP, "kXYZ" a normal KILL
# (refused with NO while a node is registered).
# Reference: epmd-reference.md 1.0 (trailing bytes are ignored).
. "$(dirname "$0")/lib.sh"

start_daemon
hdr=$(hex32 "$PORT")
out=$(wire --str nXYZ)
assert_eq "$out" "$hdr" "reply to nXYZ (no nodes)"
out=$(wire --str dXYZ)
assert_eq "$out" "$hdr" "reply to dXYZ (no nodes)"

register tri 3333
out=$(wire --str 'n\x00\x01\x02')
assert_eq "$out" "$hdr$(hexof 'name tri at port 3333
')" "reply to n + binary junk"
out=$(wire --str kXYZ)
assert_eq "$out" "$(hexof NO)" "reply to kXYZ with a node registered"
daemon_ok
