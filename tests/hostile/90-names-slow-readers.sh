#!/bin/bash
# Memory held for slow readers is bounded in total: with 2,000 nodes
# registered (names of 200 bytes, so a NAMES reply is about 450 KB) and
# 500 clients that send NAMES and never read, the daemon's RSS grows by
# no more than reply_buffer_total (the default, 64 MiB) plus a margin,
# and it still answers NAMES and PORT_PLEASE2, with every registration
# kept.  The slow readers it closed to make room are counted (STATUS
# evicted, the metric epmdx_limit_hits_total{limit="reply_buffer_total"}).
. "$(dirname "$0")/lib.sh"

NODES=2000
SLOW=500
BUDGET_KB=$((64 * 1024))
MARGIN_KB=$((16 * 1024))
[ "$(ulimit -Hn)" -ge $((NODES + SLOW + 200)) ] ||
    skip "hard RLIMIT_NOFILE $(ulimit -Hn) < $((NODES + SLOW + 200))"
start_daemon -packet_timeout 120

start_holder regs register big $NODES "$TMP/regs.ready" 120 200
REGS_PID=$HOLDER_PID
wait_ready regs 60
[ "$READY_N" = $NODES ] || fail "registered $READY_N of $NODES"
wait_until 20 status_ge registrations $NODES ||
    fail "registrations=$(status_get registrations), want $NODES"
names_count >/dev/null || fail "no NAMES answer"
base=$(rss_kb "$DAEMON_PID")
note "RSS with $NODES nodes: $base KiB"

start_holder slow names-noread $SLOW "$TMP/slow.ready" 120
wait_ready slow 60
[ "$READY_N" = $SLOW ] || fail "slow readers: $READY_N of $SLOW"
# Let every request be read and answered (or refused).
wait_until 20 status_ge accepted $((NODES + SLOW)) ||
    fail "accepted $(status_get accepted)"
sleep 1
peak=$(rss_kb "$DAEMON_PID")
grown=$((peak - base))
note "RSS with $SLOW slow NAMES readers: $peak KiB (+$grown KiB)"
if [ "$SANITIZED" = 1 ]; then
	note "sanitized build: ASan's quarantine holds freed memory, RSS not judged"
else
	[ "$grown" -le $((BUDGET_KB + MARGIN_KB)) ] ||
	    fail "RSS grew by $grown KiB, bound $BUDGET_KB KiB + $MARGIN_KB" \
	    "margin"
fi

status_ge evicted 1 || fail "no slow reader was closed (evicted=0)"
note "closed $(status_get evicted) slow readers to stay within the budget"

alive "$REGS_PID" || fail "registration holder died"
n=$(names_count) || fail "no NAMES answer under slow readers"
[ "$n" = $NODES ] || fail "NAMES lists $n nodes, want $NODES"
hc port2 "big0007$(printf '%*s' 193 '' | tr ' ' x)" \
    >"$TMP/port2.out" || fail "no PORT_PLEASE2 answer"
grep -q '^port 1031$' "$TMP/port2.out" ||
    fail "PORT_PLEASE2: $(cat "$TMP/port2.out")"
[ "$(status_get registrations)" = $NODES ] ||
    fail "registrations=$(status_get registrations), want $NODES"
daemon_ok
