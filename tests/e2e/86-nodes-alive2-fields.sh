#!/bin/bash
# 86-nodes-alive2-fields: what real OTP 25 nodes register is echoed by
# PORT2: NodeType 77, Protocol 0, HighestVersion 6, LowestVersion 5, the
# name, Elen 0; a -hidden node registers with NodeType 77 as well.
# Reference: epmd-reference.md 1.1 (real OTP 25 nodes), 8 item 18.
. "$(dirname "$0")/lib.sh"

start_daemon
start_node a
start_node h -hidden
for n in a h; do
	p=$(names | sed -n "s/^name $n at port //p")
	[ -n "$p" ] || fail "$n not listed"
	assert_eq "$(wire --str "z$n")" "7700$(hex16 "$p")4d00000600050001$(hexof "$n")0000" \
	    "PORT2 reply for node $n"
done
