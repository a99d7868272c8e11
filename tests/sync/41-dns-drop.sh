#!/bin/bash
# 41-dns-drop: one bad answer does not drop the DNS peers; a peer leaves only
# once two complete polls in a row lack it (epmdx-sync(7)).  A fake name
# server (fakedns.py, on 127.0.0.1) gives epmd.test the A records
# 127.0.0.2 and 127.0.0.3 (TTL 0); the daemon polls it every second.
# Checks, with `epmdxctl peers`, sampled about every 0.15 s:
#   1. one empty NOERROR answer, then normal ones: both peers stay listed
#      throughout;
#   2. the same with one NXDOMAIN answer;
#   3. 127.0.0.3 removed for good: still listed after the first answer that
#      lacks it, gone once the second has come, and 127.0.0.2 listed
#      throughout.
. "$(dirname "$0")/lib.sh"

MISSES=2		# complete polls lacking a peer before it is dropped

DNS=$TMP/dns
mkdir "$DNS" || fail "mkdir $DNS"
printf '127.0.0.2\n127.0.0.3\n' >"$DNS/addrs"
fakedns

dns_daemon

# listed ADDR: the daemon lists ADDR:$P (in any state).
listed()
{
	[ -n "$(peer_state "$P" "$1:$P")" ]
}
# answers PATTERN: how many A answers matched PATTERN so far.
answers()
{
	grep -c "^A .* answer=$1\$" "$DNS/queries"
}
# both_listed
both_listed()
{
	listed 127.0.0.2 && listed 127.0.0.3
}

wait_until 15 both_listed || fail "DNS peers not listed: $(peers "$P")"

# bad_once KIND: one KIND answer, then a normal one (2 counted: one may
# have been read before the request); both peers listed at every sample.
bad_once()
{
	local kind=$1 before end
	before=$(answers '127.0.0.2,127.0.0.3')
	{ echo "$kind" >"$DNS/once.tmp" && mv "$DNS/once.tmp" "$DNS/once"; } ||
	    fail "cannot write $DNS/once"
	end=$(( $(now_ms) + 15000 ))
	while [ "$(answers "$kind")" -lt 1 ] ||
	    [ "$(answers '127.0.0.2,127.0.0.3')" -lt $((before + 2)) ]
	do
		both_listed || fail "after one $kind answer the DNS peers are not all listed: $(peers "$P")"
		[ "$(now_ms)" -lt "$end" ] ||
		    fail "no $kind answer then normal ones in 15 s: $(tail -n 8 "$DNS/queries")"
		sleep 0.1
	done
	both_listed || fail "after one $kind answer the DNS peers are not all listed: $(peers "$P")"
}
bad_once empty
bad_once nxdomain

# 3. 127.0.0.3 leaves DNS.
{ echo 127.0.0.2 >"$DNS/addrs.tmp" && mv "$DNS/addrs.tmp" "$DNS/addrs"; } ||
    fail "cannot write $DNS/addrs"
seen_once=0
end=$(( $(now_ms) + 15000 ))
while :; do
	c0=$(answers 127.0.0.2)
	if listed 127.0.0.3; then
		[ "$c0" -eq 1 ] && [ "$(answers 127.0.0.2)" -eq 1 ] &&
		    seen_once=1
	else
		c1=$(answers 127.0.0.2)
		[ "$c1" -ge "$MISSES" ] ||
		    fail "127.0.0.3:$P dropped after $c1 answer(s) lacking it"
		break
	fi
	listed 127.0.0.2 || fail "127.0.0.2:$P dropped: $(peers "$P")"
	[ "$(now_ms)" -lt "$end" ] ||
	    fail "127.0.0.3:$P still listed 15 s after it left DNS: $(tail -n 8 "$DNS/queries")"
	sleep 0.1
done
[ "$seen_once" -eq 1 ] ||
    fail "never saw 127.0.0.3:$P listed between the first and second answer lacking it"
listed 127.0.0.2 || fail "127.0.0.2:$P dropped: $(peers "$P")"
exit 0
