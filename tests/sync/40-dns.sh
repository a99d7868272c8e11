#!/bin/bash
#
# The "dns" sync backend against a real DNS server: dnsmasq on
# 127.0.0.1:<free port>, authoritative for "test" (--local: unknown names
# get NXDOMAIN), serving
#   epmd.test        A    127.0.0.2, 127.0.0.3
#   _epmd._tcp.test  SRV  h2.test:P2, h3.test:P3
#   h2.test          A    127.0.0.2         h3.test  A  127.0.0.3
# and four epmdx daemons sharing a secret:
#   d1  port P1, hostname h1, dns srv _epmd._tcp.test (not in DNS itself)
#   d2  port P2, hostname h2, dns srv (finds d3, and itself)
#   d3  port P3, hostname h3, dns srv (finds d2, and itself)
#   d4  port P4, listening on 127.0.0.1 only, dns a epmd.test: its peers
#       are 127.0.0.2:P4 and 127.0.0.3:P4 (the default port), unreachable
# Checks, with `epmdxctl --port P peers`:
#   1. d1 lists 127.0.0.2:P2 and 127.0.0.3:P3 from dns and reaches them
#      (origins h2, h3); d4 lists 127.0.0.2:P4 and 127.0.0.3:P4.
#   2. SIGHUP with the same config keeps them.
#   3. DNS down (dnsmasq stopped): polls fail, every peer is kept, and the
#      failure is logged.
#   4. dnsmasq back without h3 / 127.0.0.3: those peers vanish (once two
#      complete polls lacked them: TTL 0), the others stay.
#   5. d4 reloaded (SIGHUP) to type srv: its A peer goes, h2 comes.
#   6. dnsmasq back with no records (NXDOMAIN): no dns peer is left (after
#      two polls).
# Every process started here is stopped by pid on exit; every wait is
# bounded; all traffic stays on 127.0.0.0/8.
#
# usage: tests/sync/40-dns.sh    (EPMDX=path/to/epmdx, default build/epmdx;
#                               KEEP_TMP=1 keeps the logs)
# Exit status: 0 pass, 1 fail, 77 skip (no dnsmasq or python3).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
on_exit show_logs
DNSMASQ=${DNSMASQ:-$(command -v dnsmasq || echo /usr/sbin/dnsmasq)}
WAIT=20			# seconds any one condition may take

# ok MSG: a check passed.
ok()
{
	note "ok - $*"
}

# dns_port: a port free for TCP on 0.0.0.0 and ::, UDP on 127.0.0.1,
# below the ephemeral range so no outgoing socket takes it while dnsmasq
# is down.
dns_port()
{
	"$PYTHON" - <<'EOF'
import random, socket, sys
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
low = max(low, 10001)
for _ in range(200):
    p = random.randint(10000, low - 1)
    try:
        for fam, typ, addr in ((socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0"),
                               (socket.AF_INET, socket.SOCK_DGRAM, "127.0.0.1"),
                               (socket.AF_INET6, socket.SOCK_STREAM, "::")):
            with socket.socket(fam, typ) as s:
                if fam == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind((addr, p))
        print(p); sys.exit(0)
    except OSError:
        pass
sys.exit(1)
EOF
}

[ -x "$DNSMASQ" ] || skip "dnsmasq not installed (Debian: dnsmasq-base)"

DP=$(dns_port) || fail "no free port for dnsmasq"
read -r P1 P2 P3 P4 <<<"$(free_ports 4)" || fail "no free ports"
[ "$(printf '%s\n' "$DP" "$P1" "$P2" "$P3" "$P4" | sort -u | wc -l)" -eq 5 ] ||
    fail "dns_port gave a port of free_ports"
make_secret "$TMP/secret"

DNSMASQ_PID=

# start_dns RECORD-ARGS...: dnsmasq on 127.0.0.1:$DP with those records.
start_dns()
{
	"$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-resolv \
	    --no-hosts --no-poll --bind-interfaces \
	    --listen-address=127.0.0.1 --port="$DP" --pid-file= \
	    --user="$(id -un)" --local=/test/ --log-queries \
	    --log-facility="$TMP/dnsmasq.log" "$@" </dev/null \
	    >>"$TMP/dnsmasq.log" 2>&1 &
	DNSMASQ_PID=$!
	track_pid "$DNSMASQ_PID"
	wait_until "$WAIT" dns_answers ||
	    fail "dnsmasq on 127.0.0.1:$DP does not answer"
}

# dns_answers: dnsmasq answers a question (any rcode) on 127.0.0.1:$DP.
dns_answers()
{
	alive "$DNSMASQ_PID" || fail "dnsmasq exited"
	"$PYTHON" - "$DP" <<'EOF'
import socket, sys
q = bytes.fromhex("abcd01000001000000000000") + b"\x05probe\x04test\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
try:
    sys.exit(0 if s.recv(512)[:2] == b"\xab\xcd" else 1)
except OSError:
    sys.exit(1)
EOF
}

# stop_dns: stop dnsmasq.
stop_dns()
{
	stop_pid "$DNSMASQ_PID"
}

# start_dnsd N PORT CONFIG-TEXT: epmdx dN on PORT with that config (log
# $TMP/dN.log, pid in DN_PID).
start_dnsd()
{
	local n=$1 port=$2
	printf '%s\n' "$3" >"$TMP/d$n.conf"
	start_daemon_as "d$n" "$port" -f "$TMP/d$n.conf" -d -d
	eval "D${n}_PID=$DAEMON_PID"
}

# peers PORT: the daemon's peer table, without the heading (3 tries).
peers()
{
	local i out
	for i in 1 2 3; do
		if out=$(timeout 5 "$EPMDXCTL" --port "$1" peers 2>/dev/null)
		then
			printf '%s\n' "$out" | sed 1d
			return 0
		fi
		sleep 0.2
	done
	echo "peers: epmdxctl --port $1 peers failed 3 times" >&2
	return 1
}

# has_peer PORT ADDR [ORIGIN]: PORT's daemon lists ADDR from dns (with
# that origin, connected).
has_peer()
{
	local t
	t=$(peers "$1") || return 1
	printf '%s\n' "$t" | awk -v a="$2" -v o="${3:-}" '
	    $1 == a && $NF ~ /(^|,)dns(,|$)/ && (o == "" || $3 == o) { f = 1 }
	    END { exit !f }'
}

# no_peer PORT ADDR: PORT's daemon answers and does not list ADDR.
no_peer()
{
	local t
	t=$(peers "$1") || return 1
	! printf '%s\n' "$t" | awk -v a="$2" '$1 == a { f = 1 } END { exit !f }'
}

# no_dns_peer PORT: PORT's daemon answers and no peer comes from dns.
no_dns_peer()
{
	local t
	t=$(peers "$1") || return 1
	! printf '%s\n' "$t" |
	    awk '$NF ~ /(^|,)dns(,|$)/ { f = 1 } END { exit !f }'
}

# conf HOSTNAME TYPE QUERY [TOP-LEVEL LINES]: a daemon's config.
conf()
{
	printf '%s\nlog_level = debug\n[sync]\nbackends = dns\nhostname = %s\n' \
	    "${4:-}" "$1"
	printf 'secret_file = %s\nttl = 10\ninterval = 1\n' "$TMP/secret"
	printf 'dns_server = 127.0.0.1:%s\ndns_type = %s\ndns_query = %s\n' \
	    "$DP" "$2" "$3"
	printf 'dns_interval = 1\n'
}

ALL_RECORDS="--host-record=epmd.test,127.0.0.2 --host-record=epmd.test,127.0.0.3
--host-record=h2.test,127.0.0.2 --host-record=h3.test,127.0.0.3
--srv-host=_epmd._tcp.test,h2.test,$P2,10,5
--srv-host=_epmd._tcp.test,h3.test,$P3,20,5"
FEWER_RECORDS="--host-record=epmd.test,127.0.0.2
--host-record=h2.test,127.0.0.2 --host-record=h3.test,127.0.0.3
--srv-host=_epmd._tcp.test,h2.test,$P2,10,5"

# shellcheck disable=SC2086
start_dns $ALL_RECORDS
ok "dnsmasq answers on 127.0.0.1:$DP"

start_dnsd 2 "$P2" "$(conf h2 srv _epmd._tcp.test)"
start_dnsd 3 "$P3" "$(conf h3 srv _epmd._tcp.test)"
start_dnsd 1 "$P1" "$(conf h1 srv _epmd._tcp.test)"
start_dnsd 4 "$P4" "$(conf h4 a epmd.test 'address = 127.0.0.1')"
ok "daemons up on ports $P1 $P2 $P3 $P4"

# 1. The DNS-listed peers appear, SRV ones reached.
wait_until "$WAIT" has_peer "$P1" "127.0.0.2:$P2" h2 ||
    fail "d1 does not reach 127.0.0.2:$P2 (h2) from SRV"
wait_until "$WAIT" has_peer "$P1" "127.0.0.3:$P3" h3 ||
    fail "d1 does not reach 127.0.0.3:$P3 (h3) from SRV"
ok "srv: d1 lists and reaches 127.0.0.2:$P2 (h2) and 127.0.0.3:$P3 (h3)"
wait_until "$WAIT" has_peer "$P2" "127.0.0.3:$P3" h3 ||
    fail "d2 does not reach 127.0.0.3:$P3 (h3) from SRV"
ok "srv: d2 reaches d3"
wait_until "$WAIT" has_peer "$P4" "127.0.0.2:$P4" ||
    fail "d4 does not list 127.0.0.2:$P4 from A"
wait_until "$WAIT" has_peer "$P4" "127.0.0.3:$P4" ||
    fail "d4 does not list 127.0.0.3:$P4 from A"
ok "a: d4 lists 127.0.0.2:$P4 and 127.0.0.3:$P4 at its default port"

# 2. A reload with the same config keeps them.
kill -HUP "$D1_PID" "$D4_PID"
sleep 2
has_peer "$P1" "127.0.0.2:$P2" && has_peer "$P1" "127.0.0.3:$P3" ||
    fail "d1 lost a dns peer on SIGHUP"
has_peer "$P4" "127.0.0.2:$P4" && has_peer "$P4" "127.0.0.3:$P4" ||
    fail "d4 lost a dns peer on SIGHUP"
ok "SIGHUP keeps the dns peers"

# 3. DNS down: polls time out (2 s, retried once), peers are kept.
stop_dns
wait_until "$WAIT" grep -q 'dns poll failed' "$TMP/d1.log" ||
    fail "d1 did not log a failed poll"
wait_until "$WAIT" grep -q 'dns poll failed' "$TMP/d4.log" ||
    fail "d4 did not log a failed poll"
has_peer "$P1" "127.0.0.2:$P2" && has_peer "$P1" "127.0.0.3:$P3" ||
    fail "d1 dropped dns peers while DNS was down"
has_peer "$P4" "127.0.0.2:$P4" && has_peer "$P4" "127.0.0.3:$P4" ||
    fail "d4 dropped dns peers while DNS was down"
ok "DNS down: failed polls logged, peers kept"

# 4. Fewer records: h3 and 127.0.0.3 vanish, the rest stays.
# shellcheck disable=SC2086
start_dns $FEWER_RECORDS
wait_until "$WAIT" no_peer "$P1" "127.0.0.3:$P3" ||
    fail "d1 still lists 127.0.0.3:$P3 removed from SRV"
has_peer "$P1" "127.0.0.2:$P2" h2 || fail "d1 lost 127.0.0.2:$P2"
ok "srv: d1 drops 127.0.0.3:$P3 removed from DNS, keeps 127.0.0.2:$P2"
wait_until "$WAIT" no_peer "$P4" "127.0.0.3:$P4" ||
    fail "d4 still lists 127.0.0.3:$P4 removed from A"
has_peer "$P4" "127.0.0.2:$P4" || fail "d4 lost 127.0.0.2:$P4"
ok "a: d4 drops 127.0.0.3:$P4 removed from DNS, keeps 127.0.0.2:$P4"
grep -q 'dns poll recovered' "$TMP/d1.log" ||
    fail "d1 did not log the recovery"
ok "recovery logged"

# 5. d4 reloaded to type srv: the A peer goes, the SRV one comes.
conf h4 srv _epmd._tcp.test 'address = 127.0.0.1' >"$TMP/d4.conf"
kill -HUP "$D4_PID"
wait_until "$WAIT" has_peer "$P4" "127.0.0.2:$P2" h2 ||
    fail "d4 reloaded to srv does not reach 127.0.0.2:$P2 (h2)"
wait_until "$WAIT" no_peer "$P4" "127.0.0.2:$P4" ||
    fail "d4 reloaded to srv still lists its A peer 127.0.0.2:$P4"
ok "reload a -> srv: d4 drops 127.0.0.2:$P4, reaches 127.0.0.2:$P2"

# 6. No records at all: NXDOMAIN empties the set.
stop_dns
start_dns
wait_until "$WAIT" no_dns_peer "$P1" || fail "d1 keeps dns peers on NXDOMAIN"
wait_until "$WAIT" no_dns_peer "$P4" || fail "d4 keeps dns peers on NXDOMAIN"
ok "NXDOMAIN: no dns peer left on d1 and d4"

for n in 1 2 3 4; do
	eval "pid=\$D${n}_PID"
	alive "$pid" || fail "d$n died"
done
ok "every daemon still running"
exit 0
