#!/bin/bash
# 11-expiry: a daemon killed with SIGKILL (no goodbye, its streams just
# drop) has its node vanish from the others' cluster by ttl, not at once:
# right after the kill the node is still listed everywhere, and it is gone
# everywhere within ttl + 3 s.  Then the daemon restarts (same port, same
# hostname, a new incarnation) and its node registers again with another
# port: the new entry shows up everywhere, and the restarted daemon learns
# the others' nodes again.
. "$(dirname "$0")/lib.sh"

N=4
mesh $N

wait_until 20 mesh_converged || fail "no convergence before the kill"

# The survivors: h1, h2, h3.  Kill h4's daemon, then its holder.
kill9 "$DPID_h4" || fail "h4 did not die"
t0=$(now_ms)
stop_pid "$HPID_4"

# Right after the kill (its streams already closed) n4 is still listed:
# expiry is by ttl, not by connection loss.
sleep 1
for i in 1 2 3; do
	cluster_has "${P[i-1]}" n4@h4 30004 ||
	    fail "h$i dropped n4@h4 $(( $(now_ms) - t0 )) ms after the kill: before ttl ($SYNC_TTL s)"
done

# gone_everywhere: no survivor lists n4@h4.
gone_everywhere()
{
	local i
	for i in 1 2 3; do
		cluster_lacks "${P[i-1]}" n4@h4 || return 1
	done
}
limit=$((SYNC_TTL + 3))
wait_until "$limit" gone_everywhere || {
	for i in 1 2 3; do echo "h$i:"; cluster "${P[i-1]}"; done
	fail "n4@h4 still listed $limit s after its daemon was killed"
}
note "n4@h4 gone everywhere $(( $(now_ms) - t0 )) ms after the kill (ttl $SYNC_TTL s)"
for i in 1 2 3; do
	for j in 1 2 3; do
		cluster_has "${P[i-1]}" "n$j@h$j" $((30000 + j)) ||
		    fail "h$i lost n$j@h$j along with n4@h4"
	done
done

# Restart h4: same port, same hostname, a new incarnation; n4 comes back
# on another port.
start_daemon_as h4 "${P[3]}" -f "$TMP/h4.conf"
t1=$(now_ms)
hold n4 "${P[3]}" 31004
back_everywhere()
{
	local i
	for i in 1 2 3; do
		cluster_has "${P[i-1]}" n4@h4 31004 || return 1
	done
}
wait_until 10 back_everywhere || {
	for i in 1 2 3; do echo "h$i:"; cluster "${P[i-1]}"; done
	fail "restarted h4's n4@h4 (port 31004) not listed everywhere within 10 s"
}
note "restarted n4@h4 listed everywhere $(( $(now_ms) - t1 )) ms after the restart"

# The restarted daemon learns the others' nodes too (they dial it again
# when their reconnect backoff, at most 30 s, runs out).
want4=$(for i in 1 2 3; do echo "n$i@h$i $((30000 + i))"; done
    echo "n4@h4 31004")
want4=$(printf '%s\n' "$want4" | sort)
h4_complete()
{
	[ "$(cluster "${P[3]}")" = "$want4" ]
}
wait_until 40 h4_complete || {
	cluster "${P[3]}"; peers "${P[3]}"
	fail "restarted h4 did not learn the other nodes within 40 s"
}
note "restarted h4 lists every node $(( $(now_ms) - t1 )) ms after the restart"
exit 0
