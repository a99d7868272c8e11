#!/bin/bash
# 43-dns-srv-targets: SRV targets without addresses in the answer are asked
# about, at most 16 questions (so 16 sockets) out at once.  A fake name
# server (fakedns.py, on 127.0.0.1) answers _epmd._tcp.test with 20 SRV
# records, t1.test .. t20.test at port Q, and nothing additional; it holds
# every question until none came for 0.3 s, so a burst is what the daemon
# had out at once.  Checks that the 20 peers 127.0.1.N:Q are listed by
# `epmdxctl peers`, and that the bursts of the 40 target questions (A and
# AAAA each) reached 16 and never went over.
. "$(dirname "$0")/lib.sh"

INFLIGHT=16		# questions out at once, epmdx-sync(7)

read -r P Q <<<"$(free_ports 2)" || fail "no free ports"
DNS=$TMP/dns
mkdir "$DNS" || fail "mkdir $DNS"
: >"$DNS/hold"
for i in $(seq 1 20); do
	echo "t$i.test $Q" >>"$DNS/srv"
	echo "t$i.test 127.0.1.$i" >>"$DNS/hosts"
done
fakedns

make_secret "$TMP/secret"
write_conf "$TMP/d.conf" h1 "" "backends = dns" "dns_type = srv" \
    "dns_query = _epmd._tcp.test" "dns_server = 127.0.0.1:$DP" \
    "dns_interval = 5"
start_daemon_as d "$P" -f "$TMP/d.conf"

# all_listed: the 20 targets are peers.
all_listed()
{
	local t n
	t=$(peers "$P") || return 1
	n=$(printf '%s\n' "$t" | awk -v q="$Q" '$1 ~ "^127[.]0[.]1[.][0-9]+:" q "$"' |
	    wc -l)
	[ "$n" -eq 20 ]
}
wait_until 15 all_listed ||
    fail "not every SRV target listed: $(peers "$P"); $(cat "$DNS/queries")"

# The first poll's bursts: the SRV question alone, then the targets'.
bursts=$(awk '/^burst=/ { sub("burst=", ""); print }' "$DNS/queries")
max=$(printf '%s\n' "$bursts" | sort -n | tail -n 1)
targets=$(grep -c '^A.* answer=127[.]0[.]1[.]' "$DNS/queries")
[ "$targets" -ge 20 ] || fail "only $targets target A questions"
[ "$max" -eq "$INFLIGHT" ] ||
    fail "at most $max questions out at once, want $INFLIGHT: bursts $(printf '%s\n' "$bursts" | tr '\n' ' ')"
exit 0
