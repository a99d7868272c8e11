#!/bin/bash
# 27-alive2-extra: Extra is stored verbatim up to 1020 bytes (NULs and any
# bytes allowed) and echoed by PORT2; 1021 bytes are refused with the error
# reply (y form 79 01 0063 for high 5, v form for high 6).
# Reference: epmd-reference.md 1.1 (check 6), 1.3, 8 item 18.
. "$(dirname "$0")/lib.sh"

start_daemon
extra=$("$PYTHON" -c 'print(bytes(range(256)).hex() * 3 + bytes(range(252)).hex())')
assert_eq "${#extra}" 2040 "test's own Extra length (hex digits)"
register ext 6000 --extra "$extra"
assert_match "$REG_REPLY" "7600[0-9a-f]{8}" "ALIVE2 reply with 1020 bytes of Extra"
out=$(wire --str zext)
assert_eq "$out" "7700$(hex16 6000)4d00000600050003$(hexof ext)03fc$extra" \
    "PORT2 echo of 1020 bytes of Extra"

out=$(wire --register ext5 6001 --high 5 --extra "${extra}00" --timeout 0.1)
assert_eq "$(sed -n 1p <<<"$out")" "79010063" "ALIVE2 reply with 1021 bytes of Extra (high 5)"
out=$(wire --register ext6 6002 --extra "${extra}00" --timeout 0.1)
assert_eq "$(sed -n 1p <<<"$out")" "760100000063" "ALIVE2 reply with 1021 bytes of Extra (high 6)"
assert_eq "$(wire --str zext5)" "7701" "PORT2 for the refused ext5"
