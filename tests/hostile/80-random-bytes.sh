#!/bin/bash
# Seeded random-bytes clients: 8 sockets at once send random frames of
# every request type (valid length prefixes around random payloads,
# opcodes 100-122 and 200-204, lying and bad lengths, structured ALIVE2/
# PORT2/STOP/RESOLVE with random fields, plain noise), split at random,
# closed, reset or left open at random; two identical rounds of 10 s with
# the same printed seed (HOSTILE_SEED to replay).  The daemon lives, the 5
# nodes registered before are all still there, nothing else is left
# registered, and VmRSS grows by at most 4 MiB from round 1 to round 2.
. "$(dirname "$0")/lib.sh"

SEED=${HOSTILE_SEED:-20251124} SECS=${HOSTILE_RANDOM_SECS:-10} SOCKS=8
MAX_GROWTH_KB=4096
note "seed $SEED, 2 rounds of ${SECS}s, $SOCKS sockets"
start_daemon -packet_timeout 2
start_holder keep register keep 5 "$TMP/keep.ready" 250
wait_ready keep 20

round()
{
	local out
	out=$(hc random "$SEED" "$SECS" "$SOCKS") || fail "random round $1"
	alive "$DAEMON_PID" || fail "daemon died in round $1 (seed $SEED)"
	# Let held and half-sent connections close (packet_timeout 2).
	wait_until 15 status_le connections 1 ||
	    fail "connections=$(status_get connections) after round $1"
	RSS=$(rss_kb "$DAEMON_PID")
	note "round $1: $out; VmRSS ${RSS} KiB"
}

round 1
rss1=$RSS
round 2
rss2=$RSS

daemon_ok
for i in 0 1 2 3 4; do
	[ "$(hc port2 keep000$i)" = "port $((1024 + i))" ] ||
	    fail "keep000$i lost or changed: $(hc port2 keep000$i)"
done
[ "$(names_count)" = 5 ] || fail "NAMES lists $(names_count) nodes, want 5"
[ "$(status_get registrations)" = 5 ] ||
    fail "registrations=$(status_get registrations), want 5"
growth=$((rss2 - rss1))
note "VmRSS growth from round 1 to round 2: $growth KiB"
if [ "$SANITIZED" = 1 ]; then
	note "sanitized build: ASan's quarantine holds freed memory, RSS not judged"
else
	[ $growth -le $MAX_GROWTH_KB ] ||
	    fail "VmRSS grew by $growth KiB (> $MAX_GROWTH_KB) in an identical round"
fi
