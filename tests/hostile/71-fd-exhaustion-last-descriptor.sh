#!/bin/bash
# The last free descriptor: under a 64-descriptor limit, nodes register one
# after another until the daemon stops answering.  With exactly one
# descriptor free (a registration is dropped if need be), a NAMES request
# must be answered: not evicted unread because the accept loop's next
# accept() failed with EMFILE.  The exhaustion is logged once.
. "$(dirname "$0")/lib.sh"
command -v prlimit >/dev/null || skip "prlimit not installed"

LIMIT=64
EXHAUSTED='[Dd]escriptor|Too many open files|EMFILE|pausing accept'
DAEMON_WRAP="prlimit --nofile=$LIMIT:$LIMIT" start_daemon -packet_timeout 60

# Descriptors in use below the limit (inherited ones above it do not count).
fds_used()
{
	ls "/proc/$DAEMON_PID/fd" |
	    awk -v l=$LIMIT '$1 < l { n++ } END { print n + 0 }'
}
fds_are()
{
	[ "$(fds_used)" = "$1" ]
}

start_holder fill fill fill 100 "$TMP/fill.ready" 100
wait_ready fill 60
note "registered $READY_N nodes; daemon holds $(fds_used) of $LIMIT descriptors"
[ "$READY_N" -ge $((LIMIT - 16)) ] || fail "only $READY_N registrations"
[ "$READY_N" -lt 100 ] || fail "never ran out of descriptors"

# Settle, then make exactly one descriptor free.
sleep 1
if fds_are $LIMIT; then
	kill -USR1 "$HOLDER_PID"
	wait_until 5 fds_are $((LIMIT - 1)) ||
	    fail "dropping a registration left $(fds_used) descriptors in use"
fi
fds_are $((LIMIT - 1)) ||
    fail "$(fds_used) descriptors in use after the fill, want $((LIMIT - 1))"

hc names >"$TMP/names.out" 2>"$TMP/names.err" ||
    fail "NAMES not answered with one descriptor free: $(cat "$TMP/names.err")"
grep -q '^name fill0001 ' "$TMP/names.out" || fail "NAMES lacks fill0001"
lines=$(log_count "$EXHAUSTED")
note "exhaustion log lines: $lines"
[ "$lines" = 1 ] || fail "exhaustion logged $lines times, want once"
