#!/bin/bash
# 12-upgrade-signal: SIGUSR2 upgrades as `epmdxctl upgrade` does: the log
# shows "upgrade requested", "upgrade: adopted" with every registration
# and remembered name, and "ready" again; the pid is the same; DUMP,
# NAMES and every PORT2 reply are byte-identical; no registration socket
# was closed; no registration came or went; and the process holds as many
# sockets as before and no memfd (nothing of the handover left open).
. "$(dirname "$0")/lib.sh"
epmdx_only

NRAW=50
start_daemon -d
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

log_mark
kill -USR2 "$DAEMON_PID"
wait_log 1 "upgrade: adopted listeners=[0-9]+ registrations=$NRAW remembered=2 " 10
wait_log 1 ' ready port=' 10
assert_eq "$(log_count 'upgrade requested')" 1 "upgrade requested lines"
assert_eq "$(log_count 'node (un)?registered')" 0 "registrations that came or went"

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
