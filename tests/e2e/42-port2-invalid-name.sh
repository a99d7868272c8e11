#!/bin/bash
# 42-port2-invalid-name: PORT_PLEASE2 closes with no reply when the name is
# empty ('z', or 'z' + NUL), contains a NUL, is not valid UTF-8, or is too
# long. Stock counts the terminating NUL as a character here, so the longest
# name PORT2 accepts is 254 characters: a registered 255-char name cannot be
# looked up (closed, no reply) while 254 chars work.
# Reference: epmd-reference.md 1.3; the 254 limit is stock 25.2.3's
# behaviour (verify_utf8(name, bsize) counts one byte past the name).
. "$(dirname "$0")/lib.sh"

start_daemon
rep() { local i s=; for ((i = 0; i < $2; i++)); do s+=$1; done; printf '%s' "$s"; }
a254=$(rep a 254)
a255=$(rep a 255)
register "$a254" 2540
register "$a255" 2550

for req in 'z' 'z\x00' 'za\x00b' 'z\x00a' 'z\xff' 'za\xc0\x80' "z$a255" \
    "z$a255\\x00" "z$(rep a 300)"; do
	out=$(wire --str "$req")
	rc=$?
	assert_eq "$out" "" "reply to PORT2 '${req:0:20}' (${#req} chars)"
	assert_eq "$rc" 0 "wire exit for PORT2 '${req:0:20}' (0 = closed)"
done
assert_eq "$(wire --str "z$a254")" \
    "7700$(hex16 2540)4d0000060005$(hex16 254)$(hexof "$a254")0000" \
    "PORT2 reply for the 254-char name"
assert_eq "$(wire --str "z$a254\\x00")" \
    "7700$(hex16 2540)4d0000060005$(hex16 254)$(hexof "$a254")0000" \
    "PORT2 reply for the 254-char name + NUL"
daemon_ok
