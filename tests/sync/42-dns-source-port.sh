#!/bin/bash
# 42-dns-source-port: every DNS question leaves from its own UDP source port,
# so an off-path spoofer must guess the port as well as the 16-bit id.
# A fake name server (fakedns.py, on 127.0.0.1) records the source port of
# each question; the daemon polls it every second (A and AAAA of
# epmd.test).  Checks that, over three polls (six questions), no two
# questions share a source port, and that the peer the answers name is
# listed by `epmdxctl peers`.
. "$(dirname "$0")/lib.sh"

DNS=$TMP/dns
mkdir "$DNS" || fail "mkdir $DNS"
echo 127.0.0.2 >"$DNS/addrs"
fakedns

dns_daemon

listed()
{
	[ -n "$(peer_state "$P" "127.0.0.2:$P")" ]
}
wait_until 15 listed ||
    fail "127.0.0.2:$P from DNS not listed: $(peers "$P")"

# Six distinct questions (a retry repeats its id and its port).  The
# kernel picks each port at random from the ephemeral range, so two of six
# share one by chance about once in 2000 runs.
questions()
{
	awk '{ print $2, $3 }' "$DNS/queries" | sort -u
}
enough()
{
	[ "$(questions | wc -l)" -ge 6 ]
}
wait_until 15 enough || fail "fewer than 6 questions in 15 s: $(cat "$DNS/queries")"
q=$(questions | head -n 6)
ports=$(printf '%s\n' "$q" | awk '{ print $2 }' | sort -u | wc -l)
[ "$ports" -eq 6 ] ||
    fail "6 questions came from $ports source ports: $(printf '%s\n' "$q" | tr '\n' ' ')"
exit 0
