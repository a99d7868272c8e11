#!/bin/bash
# Seeded random-bytes clients as in 80, with UPGRADE (205) among the
# opcodes (refused over TCP), while `epmdxctl upgrade` asks the control
# socket every half second: random traffic keeps arriving while the
# daemon re-executes itself again and again.  It lives (same pid),
# answers afterwards, and the 5 nodes registered before are all still
# there with their ports.
. "$(dirname "$0")/lib.sh"

SEED=${HOSTILE_SEED:-20251124} SECS=${HOSTILE_RANDOM_SECS:-10} SOCKS=8
note "seed $SEED, ${SECS}s, $SOCKS sockets, upgrades included"
printf 'control_socket = %s\n' "$TMP/control.sock" >"$TMP/epmdx.conf"
if [ -x "$(dirname "$EPMD")/epmdxctl" ]; then
	EPMDXCTL=$(dirname "$EPMD")/epmdxctl
else
	ln -s "$EPMD" "$TMP/epmdxctl"
	EPMDXCTL=$TMP/epmdxctl
fi
start_daemon -packet_timeout 2 -f "$TMP/epmdx.conf"
start_holder keep register keep 5 "$TMP/keep.ready" 250
wait_ready keep 20

hc random "$SEED" "$SECS" "$SOCKS" --upgrade >"$TMP/random.out" &
RANDOM_PID=$!
track_pid "$RANDOM_PID"
while alive "$RANDOM_PID"; do
	timeout -k 2 30 "$EPMDXCTL" -f "$TMP/epmdx.conf" upgrade \
	    >>"$TMP/ctl.out" 2>&1 </dev/null
	sleep 0.5
done
wait "$RANDOM_PID" || fail "random round"
note "$(cat "$TMP/random.out")"
alive "$DAEMON_PID" || fail "daemon died (seed $SEED)"
wait_until 30 daemon_ready || fail "daemon not answering after the round"
upgrades=$(log_count 'upgrade: exec ')
note "re-executions: $upgrades"
[ "$upgrades" -ge 1 ] || fail "no UPGRADE went through: nothing tested"
for i in 0 1 2 3 4; do
	[ "$(hc port2 keep000$i)" = "port $((1024 + i))" ] ||
	    fail "keep000$i lost or changed: $(hc port2 keep000$i)"
done
wait_until 15 status_le registrations 5 ||
    fail "registrations=$(status_get registrations), want 5"
[ "$(names_count)" = 5 ] || fail "NAMES lists $(names_count) nodes, want 5"
