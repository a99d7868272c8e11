#!/bin/bash
# 34-cloexec: every sync socket is close-on-exec, so a child the daemon
# executes (the -n checker of an upgrade) inherits none.  h1 and h2 sync
# (each holds an accepted stream, handed over by the EPMD port, and a
# dialled one); every socket of each daemon's /proc/PID/fd must carry
# O_CLOEXEC in its fdinfo flags.
. "$(dirname "$0")/lib.sh"

[ -d /proc/self/fdinfo ] || skip "no /proc/PID/fdinfo"
read -r -a P <<<"$(free_ports 2)" || fail "no free ports"
make_secret "$TMP/secret"
write_conf "$TMP/h1.conf" h1 "127.0.0.1:${P[1]}"
write_conf "$TMP/h2.conf" h2 "127.0.0.1:${P[0]}"
start_daemon_as h1 "${P[0]}" -f "$TMP/h1.conf"
start_daemon_as h2 "${P[1]}" -f "$TMP/h2.conf"
hold n1 "${P[0]}" 30001
hold n2 "${P[1]}" 30002
wait_until 15 cluster_has "${P[0]}" n2@h2 30002 || fail "h1 does not list n2@h2"
wait_until 15 cluster_has "${P[1]}" n1@h1 30001 || fail "h2 does not list n1@h1"

# inherited PID: the socket fds (above 2) of PID without O_CLOEXEC.
inherited()
{
	local fd flags
	for fd in /proc/"$1"/fd/*; do
		fd=${fd##*/}
		[ "$fd" -le 2 ] && continue
		case $(readlink "/proc/$1/fd/$fd" 2>/dev/null) in
		socket:*) ;;
		*) continue ;;
		esac
		flags=$(awk '$1 == "flags:" { print $2 }' "/proc/$1/fdinfo/$fd" \
		    2>/dev/null) || continue
		[ -n "$flags" ] || continue
		(( (8#$flags & 8#2000000) == 0 )) && printf '%s ' "$fd"
	done
	return 0
}
for i in 1 2; do
	eval "pid=\$DPID_h$i"
	bad=$(inherited "$pid")
	nsock=$(find /proc/"$pid"/fd -lname 'socket:*' | wc -l)
	note "h$i: $nsock sockets"
	[ -z "$bad" ] || fail "h$i: sockets without close-on-exec: fd $bad"
done
exit 0
