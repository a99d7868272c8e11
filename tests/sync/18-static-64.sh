#!/bin/bash
# 18-static-64: a static peer list of 64 hosts, longer than one config
# line holds (198 characters), written by hand: 127.0.0.1 to 127.0.0.64 on
# one port, the first 32 as four repeated `peers =` keys of eight, the
# other 32 as indented continuation lines of the last key.  Four daemons
# run (h1..h4 on 127.0.0.1..4, each socket passed as systemd passes one);
# the 60 other addresses are configured but never answer, which is what a
# 64-host mesh looks like from a host while most of it is down (64 real
# daemons are too heavy for the test machine).  Checks that each daemon
# lists all 64 peers from the static backend, its own address as self,
# the three live ones established and the others not, and that the four
# nodes converge on every daemon; then h1 is reloaded with the list cut
# to 127.0.0.1..16 (two keys): its peers become those 16 (the reload's
# diff), h2..h4 stay established, and no node is lost.
. "$(dirname "$0")/lib.sh"

N=4
PORT=$(free_port) || fail "no free port"
"$PYTHON" -c '
import socket, sys
for i in range(2, 5):
    s = socket.socket(); s.bind(("127.0.0.%d" % i, int(sys.argv[1]))); s.close()
' "$PORT" 2>/dev/null || skip "127.0.0.2-4 not usable at port $PORT"
make_secret "$TMP/secret"

# peer_lines FIRST LAST: the peers of 127.0.0.FIRST..LAST, eight a key up
# to .32, then one indented continuation line per host.
peer_lines()
{
	local i line=""
	for i in $(seq "$1" "$2"); do
		if [ "$i" -le 32 ]; then
			line="$line${line:+, }127.0.0.$i:$PORT"
			if [ $((i % 8)) = 0 ] || [ "$i" = "$2" ]; then
				printf 'peers = %s\n' "$line"
				line=""
			fi
		else
			printf '    127.0.0.%d:%s,\n' "$i" "$PORT"
		fi
	done
}

for i in $(seq 1 $N); do
	write_conf "$TMP/h$i.conf" "h$i" "" "advertise = 127.0.0.$i" \
	    "# the whole cluster, 64 hosts" "$(peer_lines 1 64)"
done
awk 'length($0) > 198 { bad = 1 } END { exit bad }' "$TMP/h1.conf" ||
    fail "a config line is longer than 198 characters"
[ "$(grep -o "127\.0\.0\.[0-9]*:$PORT" "$TMP/h1.conf" | sort -u | wc -l)" = 64 ] ||
    fail "the config does not name 64 hosts"
"$EPMDX" -n -f "$TMP/h1.conf" >"$TMP/check.out" 2>&1 ||
    fail "epmdx -n refuses the 64-host config: $(cat "$TMP/check.out")"

t0=$(now_ms)
for i in $(seq 1 $N); do
	start_daemon_as "h$i" "127.0.0.$i:$PORT" -f "$TMP/h$i.conf"
	hold "n$i" "127.0.0.$i:$PORT" $((30000 + i))
done
WANT=$(for i in $(seq 1 $N); do echo "n$i@h$i $((30000 + i))"; done | sort)

converged()
{
	local i
	for i in $(seq 1 $N); do
		[ "$(cluster "127.0.0.$i:$PORT")" = "$WANT" ] || return 1
	done
}
wait_until 20 converged || {
	for i in $(seq 1 $N); do
		echo "h$i:"; cluster "127.0.0.$i:$PORT" | sed 's/^/  /'
	done
	fail "the four daemons did not all list the four nodes within 20 s"
}
note "4 live daemons of 64 configured converged in $(( $(now_ms) - t0 )) ms"

# check_peers I: hI lists 64 static peers, itself as self, the three
# other live ones established, and nothing else established.
check_peers()
{
	local i=$1 ep=127.0.0.$1:$PORT out j st
	out=$(peers "$ep") || return 1
	[ "$(printf '%s\n' "$out" | awk '$4 ~ /static/' | wc -l)" = 64 ] ||
	    return 1
	for j in $(seq 1 $N); do
		st=$(printf '%s\n' "$out" |
		    awk -v p="127.0.0.$j:$PORT" '$1 == p { print $2 }')
		if [ "$j" = "$i" ]; then
			[ "$st" = self ] || return 1
		else
			[ "$st" = established ] || return 1
		fi
	done
	# The 60 hosts nobody runs on are never established.
	[ "$(printf '%s\n' "$out" | awk '$2 == "established"' | wc -l)" = 3 ]
}
for i in $(seq 1 $N); do
	wait_until 10 check_peers "$i" || {
		peers "127.0.0.$i:$PORT"
		fail "h$i: not 64 static peers with self, 3 established, 60 down"
	}
done

# Reload h1 with the first 16 hosts only.
write_conf "$TMP/h1.conf" h1 "" "advertise = 127.0.0.1" "$(peer_lines 1 16)"
kill -HUP "$DPID_h1"
only16()
{
	local out
	out=$(peers "127.0.0.1:$PORT") || return 1
	[ "$(printf '%s\n' "$out" | wc -l)" = 16 ] &&
	    ! printf '%s\n' "$out" | grep -q "^127\.0\.0\.17:"
}
wait_until 10 only16 || {
	peers "127.0.0.1:$PORT"
	fail "h1 does not have exactly the 16 peers of its reloaded list"
}
for j in 2 3 4; do
	peer_in "127.0.0.1:$PORT" "127.0.0.$j:$PORT" established || {
		peers "127.0.0.1:$PORT"
		fail "h1 lost its stream to h$j on the reload"
	}
done
[ "$(cluster "127.0.0.1:$PORT")" = "$WANT" ] || {
	cluster "127.0.0.1:$PORT"
	fail "h1 lost a node on the reload"
}
exit 0
