#!/bin/bash
#
# 51-mcast-replay: a replayed multicast announcement neither brings back
# an origin's previous incarnation nor makes a daemon dial the address it
# came from.
#
# Everything runs in a network namespace of its own whose loopback carries
# the group (so no datagram leaves it).  A python listener joined to the
# group records the sealed announcements of daemon "a" (first incarnation,
# port PA1) and of daemon "c" (port PC), both then killed.  Daemon b
# starts, and "a" starts again (a new incarnation, port PA2).  Once b dials
# 127.0.0.1:PA2, the recorded datagrams of a's first incarnation are sent
# again from 127.0.0.9: b must not dial PA1 at any address, keeps PA2, and
# logs them as stale.  Then c's recorded datagram, never heard by b, is
# sent from 127.0.0.9: b dials the address sealed inside it
# (127.0.0.1:PC), not the datagram's source (127.0.0.9:PC).
#
# Needs root (ip netns); exits 77 without it.

# The outer half: make the namespace, run this script inside it, remove it.
if [ -z "${MCAST_REPLAY_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for ip netns" >&2; exit 77; }
	command -v ip >/dev/null 2>&1 || { echo "SKIP: no ip(8)" >&2; exit 77; }
	NS=epmdx-mcr-$$
	trap 'ip netns del "$NS" 2>/dev/null' EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	ip netns add "$NS" || exit 1
	ip -n "$NS" link set lo up &&
	    ip -n "$NS" link set lo multicast on &&
	    ip -n "$NS" route add 224.0.0.0/4 dev lo || exit 1
	MCAST_REPLAY_INNER=1 ip netns exec "$NS" bash "$0" "$@"
	exit $?
fi

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

GROUP=239.255.43.69
read -r PB PA1 PA2 PC MP <<EOF
$(free_ports 5)
EOF
[ -n "$MP" ] || fail "no free ports"
make_secret "$TMP/secret"

# conf NAME PORT: an mcast config for NAME; the group on loopback, sent
# from 127.0.0.1 (an unbound sender on lo would have source 0.0.0.0).
conf()
{
	write_conf "$TMP/$1.conf" "$1" "" "backends = mcast" \
	    "mcast_port = $MP" "mcast_interface = 127.0.0.1"
}

# capture FILE SECS: record the group's datagrams for SECS seconds, one
# hex line each.
capture()
{
	"$PYTHON" - "$GROUP" "$MP" "$1" "$2" <<'EOF'
import socket, struct, sys, time
group, port, out, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind((group, port))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
    struct.pack("4s4si", socket.inet_aton(group), socket.inet_aton("0.0.0.0"),
    socket.if_nametoindex("lo")))
end = time.monotonic() + secs
with open(out, "w") as f:
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            d = s.recv(2048)
        except socket.timeout:
            break
        f.write(d.hex() + "\n")
EOF
}

# replay FILE: send every recorded datagram again, from 127.0.0.9.
replay()
{
	"$PYTHON" - "$GROUP" "$MP" "$1" <<'EOF'
import socket, sys
group, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.9", 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
    socket.inet_aton("127.0.0.9"))
for line in open(path):
    s.sendto(bytes.fromhex(line.strip()), (group, port))
EOF
}

# record NAME PORT FILE: run NAME alone long enough to announce twice,
# recording the group, then kill it.
record()
{
	local pid
	conf "$1"
	capture "$3" 2.5 &
	pid=$!
	track_pid "$pid"
	sleep 0.3
	start_daemon_as "$1" "$2" -f "$TMP/$1.conf"
	wait "$pid"
	kill9 "$DAEMON_PID"
	[ -s "$3" ] || fail "recorded no announcement of $1"
}

# port_absent EP PORT: EP answers and lists no peer on PORT.
port_absent()
{
	local out
	out=$(peers "$1") || return 1
	! printf '%s\n' "$out" | awk '{ print $1 }' | grep -q ":$2\$"
}

# port_present EP PORT: EP lists a peer on PORT.
port_present()
{
	peers "$1" | awk '{ print $1 }' | grep -q ":$2\$"
}

record a "$PA1" "$TMP/a1.hex"
record c "$PC" "$TMP/c.hex"

conf b
start_daemon_as b "$PB" -f "$TMP/b.conf"
B_PID=$DAEMON_PID
start_daemon_as a "$PA2" -f "$TMP/a.conf"
wait_until 10 peer_in "$PB" "127.0.0.1:$PA2" established ||
    fail "b does not reach a's new incarnation at 127.0.0.1:$PA2: $(peers "$PB")"

# The previous incarnation, replayed: never dialled, the new one kept.
end=$(( $(now_ms) + 2500 ))
while [ "$(now_ms)" -lt "$end" ]; do
	replay "$TMP/a1.hex"
	port_absent "$PB" "$PA1" ||
	    fail "b dials a's previous incarnation after a replay: $(peers "$PB")"
	sleep 0.2
done
peer_in "$PB" "127.0.0.1:$PA2" established ||
    fail "b lost a's new incarnation after a replay: $(peers "$PB")"
grep -q "mcast: dropped stale announcement of an earlier incarnation host=a " \
    "$(daemon_log b)" || fail "b did not log the stale announcements"
echo "ok: a replay of a's previous incarnation is ignored"

# An announcement b never heard, from a spoofed source: the sealed
# address is dialled.
replay "$TMP/c.hex"
wait_until 5 port_present "$PB" "$PC" ||
    fail "b did not take c's recorded announcement: $(peers "$PB")"
peer_absent "$PB" "127.0.0.9:$PC" ||
    fail "b dials the datagram's source, not the sealed address: $(peers "$PB")"
peers "$PB" | awk '{ print $1 }' | grep -qxF "127.0.0.1:$PC" ||
    fail "b does not dial the sealed address 127.0.0.1:$PC: $(peers "$PB")"
echo "ok: the sealed address is dialled, not the datagram's source"
alive "$B_PID" || fail "b died"
exit 0
