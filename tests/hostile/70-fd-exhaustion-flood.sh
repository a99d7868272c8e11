#!/bin/bash
# File-descriptor exhaustion: the daemon runs under a 64-descriptor limit
# (prlimit --nofile=64:64) and 200 connections are opened and held.  For
# 5 s of that flood it must not spin (utime+stime under 0.5 s) nor die; it
# logs the exhaustion once (one log line, not one per accept); and once
# the flood is closed it serves again (NAMES answers).
. "$(dirname "$0")/lib.sh"
command -v prlimit >/dev/null || skip "prlimit not installed"

LIMIT=64 N=200 SECS=5 MAX_TICKS=50
EXHAUSTED='[Dd]escriptor|Too many open files|EMFILE|pausing accept'
DAEMON_WRAP="prlimit --nofile=$LIMIT:$LIMIT" start_daemon -packet_timeout 60
[ "$(status_get nofile_limit)" = $LIMIT ] ||
    fail "nofile_limit=$(status_get nofile_limit), want $LIMIT"

start_holder flood hold $N "$TMP/flood.ready" 60
wait_ready flood 30
t0=$(cpu_ticks "$DAEMON_PID")
sleep $SECS
t1=$(cpu_ticks "$DAEMON_PID")
alive "$DAEMON_PID" || fail "daemon died under the flood"
ticks=$((t1 - t0))
note "CPU over ${SECS}s of flood: $ticks ticks of $(getconf CLK_TCK)/s"
[ $ticks -lt $MAX_TICKS ] || fail "spinning: $ticks ticks in ${SECS}s"

kill_wait "$HOLDER_PID"
wait_until 10 daemon_ready || fail "not serving NAMES after the flood"
lines=$(log_count "$EXHAUSTED")
note "exhaustion log lines: $lines; accepted=$(status_get accepted)" \
    "evicted=$(status_get evicted)"
[ "$lines" = 1 ] || fail "exhaustion logged $lines times, want once"
