#!/bin/bash
# 29-alive2-reregister-creation: a name registered again after its
# connection closed gets creation + 1 each time (v form), and for high 5
# the y-form creation steps 1 -> 2 -> 3 -> 1 (counter % 3 + 1).
# Reference: epmd-reference.md 1.2 (unreg list, bump_creation).
. "$(dirname "$0")/lib.sh"

start_daemon
reg_once()
{
	local out
	out=$(wire --register "$1" 8000 "${@:2}" --timeout 0.2)
	wait_until 5 names_lacks "$1" || fail "$1 still listed after close"
	creation_of "$(sed -n 1p <<<"$out")" || fail "bad ALIVE2 reply: $out"
}
c1=$(reg_once again) || exit 1
c2=$(reg_once again) || exit 1
c3=$(reg_once again) || exit 1
assert_eq "$c2" $((c1 + 1)) "second creation (first was $c1)"
assert_eq "$c3" $((c1 + 2)) "third creation (first was $c1)"

y1=$(reg_once old --high 5) || exit 1
y2=$(reg_once old --high 5) || exit 1
y3=$(reg_once old --high 5) || exit 1
y4=$(reg_once old --high 5) || exit 1
assert_eq "$y2 $y3 $y4" "$((y1 % 3 + 1)) $(((y1 % 3 + 1) % 3 + 1)) $y1" \
    "y-form creations after $y1"
