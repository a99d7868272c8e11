#!/bin/bash
# 12-upgrade-signal: SIGUSR2 upgrades as `epmdxctl upgrade` does, seen
# from outside: `epmdxctl status` shows the same pid and version, the
# uptime going on and the accepted counter started again from zero (a new
# program, epmdx(8) LIVE UPGRADE), every registration and remembered name
# kept; DUMP, NAMES and every PORT2 reply are byte-identical; no
# registration socket was closed; and the process holds as many sockets as
# before and no memfd (nothing of the handover left open).
. "$(dirname "$0")/lib.sh"
epmdx_only

NRAW=50
start_daemon
hold_start $((NRAW + 2))
hold_cmd close "$NRAW" $((NRAW + 1))
wait_until 10 names_lacks "r$NRAW" || fail "r$NRAW still registered"
wait_until 10 names_lacks "r$((NRAW + 1))" || fail "r$((NRAW + 1)) still registered"
port2_all "$NRAW" "$TMP/port2.before"
DUMP_BEFORE=$(dump_hex) || fail "DUMP failed"
NAMES_BEFORE=$(names) || fail "NAMES failed"
SOCKS_BEFORE=$(sock_count "$DAEMON_PID")
[ "$SOCKS_BEFORE" -gt "$NRAW" ] ||
    fail "daemon holds $SOCKS_BEFORE sockets for $NRAW registrations"

assert_eq "$(status_of registrations)" "$NRAW" "registrations before"
assert_eq "$(status_of unreg_cached)" 2 "remembered names before"
VERSION=$(status_of version)
UPTIME_BEFORE=$(status_of uptime)
ACCEPTED_BEFORE=$(status_of accepted)
[ "$ACCEPTED_BEFORE" -gt $((NRAW + 10)) ] ||
    fail "accepted $ACCEPTED_BEFORE before the upgrade: too few to see a reset"

# accepted_reset: STATUS answers, from a program whose accepted counter
# started again (each check is one more connection, so far below before).
accepted_reset()
{
	local a
	a=$(status_of accepted 2>/dev/null) || return 1
	[ -n "$a" ] && [ "$a" -lt $((ACCEPTED_BEFORE / 2)) ]
}
kill -USR2 "$DAEMON_PID"
wait_until 10 accepted_reset ||
    fail "no new program answering STATUS within 10 s after SIGUSR2"
sleep 1
assert_eq "$(status_of pid)" "$DAEMON_PID" "pid in STATUS"
assert_eq "$(status_of version)" "$VERSION" "version in STATUS"
[ "$(status_of uptime)" -ge "$UPTIME_BEFORE" ] || fail "uptime went back"
assert_eq "$(status_of registrations)" "$NRAW" "registrations after"
assert_eq "$(status_of unreg_cached)" 2 "remembered names after"

alive "$DAEMON_PID" || fail "daemon pid $DAEMON_PID gone"
daemon_ok
assert_eq "$(dump_hex)" "$DUMP_BEFORE" "DUMP after SIGUSR2"
assert_eq "$(names)" "$NAMES_BEFORE" "NAMES after SIGUSR2"
port2_all "$NRAW" "$TMP/port2.after"
cmp -s "$TMP/port2.before" "$TMP/port2.after" ||
    fail "PORT2 replies differ after SIGUSR2"
hold_cmd check
assert_eq "$HOLD_ANS" "open=$NRAW eof=0 data=0" "registration sockets"
assert_eq "$(sock_count "$DAEMON_PID")" "$SOCKS_BEFORE" "open sockets"
assert_eq "$(memfd_count "$DAEMON_PID")" 0 "open memfds"
