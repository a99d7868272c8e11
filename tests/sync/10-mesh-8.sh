#!/bin/bash
# 10-mesh-8: eight daemons on 127.0.0.1, each on its own port, every one
# configured with the same static peer list (all eight, itself included:
# one file for the whole cluster), hostnames h1..h8, ttl 4, interval 1.
# One node registered on each (a raw ALIVE2 held open).  Checks that every
# daemon's `epmdxctl --json cluster` lists all eight nK@hK with the right
# ports and reaches its seven peers, and that `epmdxctl resolve n5@h5` on
# h1 answers n5's port while an unknown node is an error.  (How a daemon
# treats its own address in the list is 16-self-peer.sh.)
. "$(dirname "$0")/lib.sh"

N=8
mesh $N
t0=$(now_ms)

if ! wait_until 20 mesh_converged; then
	for i in $(seq 1 $N); do
		echo "h$i cluster:"; cluster "${P[i-1]}" | sed 's/^/  /'
		echo "h$i peers:"; peers "${P[i-1]}" | sed 's/^/  /'
	done
	fail "the eight daemons did not all list the eight nodes within 20 s"
fi
note "all $N daemons list all $N nodes $(( $(now_ms) - t0 )) ms after the last registration"

# Every daemon reaches the seven others.
for i in $(seq 1 $N); do
	n=$(peers "${P[i-1]}" | awk -v me="127.0.0.1:${P[i-1]}" \
	    '$1 != me && $2 == "established"' | wc -l)
	[ "$n" = $((N - 1)) ] || {
		peers "${P[i-1]}"
		fail "h$i: $n established peers, not $((N - 1))"
	}
done

# The plain (non-JSON) listing begins each line with name@host.
ctl "${P[0]}" cluster | grep -q '^n8@h8 ' ||
    fail "epmdxctl cluster (text) has no line starting n8@h8"

# resolve on h1: a remote node, the local one, an unknown one.
out=$(ctl "${P[0]}" --json resolve n5@h5) || fail "resolve n5@h5 on h1 failed"
port=$(printf '%s' "$out" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["port"])')
[ "$port" = 30005 ] || fail "resolve n5@h5 on h1: port $port, not 30005 ($out)"
out=$(ctl "${P[0]}" resolve n1@h1) || fail "resolve n1@h1 on h1 failed"
case $out in
"n1@h1 port 30001 "*) ;;
*) fail "resolve n1@h1 on h1: $out" ;;
esac
if ctl "${P[0]}" resolve n5@h4 >/dev/null 2>&1; then
	fail "resolve n5@h4 (no such node) succeeded"
fi
exit 0
