#!/bin/bash
# 20-upgrade-control-lifecycle: the control socket's file.  `epmdx -n`
# does not create it; a stale socket file left by a crash is replaced at
# start; the same socket (same inode) is still there and answering after
# an upgrade and after a reload (SIGHUP); a second daemon configured with
# the same path does not take it (it logs why and serves on, and the
# first still answers there); the file is removed at a clean exit.
. "$(dirname "$0")/lib.sh"
epmdx_only

# -n checks the configuration and touches nothing.
"$EPMD" -n -port "$PORT" -f "$CTL_CONF" >"$TMP/n.out" 2>&1 ||
    fail "epmdx -n: $(cat "$TMP/n.out")"
[ -e "$CTL_SOCK" ] && fail "epmdx -n created $CTL_SOCK"

# A socket file nobody listens on, as a killed daemon leaves it.
"$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)' \
    "$CTL_SOCK"
[ -S "$CTL_SOCK" ] || fail "could not make a stale socket"

start_daemon -d
wait_log 1 "control: replaced a stale socket path=$CTL_SOCK" 5
INODE=$(stat -c %i "$CTL_SOCK")

log_mark
upgrade_ok
wait_log 1 'upgrade: adopted' 10
wait_log 1 ' ready port=' 10
assert_eq "$(stat -c %i "$CTL_SOCK")" "$INODE" "socket inode after an upgrade"

log_mark
kill -HUP "$DAEMON_PID"
wait_log 1 'configuration reloaded' 10
assert_eq "$(stat -c %i "$CTL_SOCK")" "$INODE" "socket inode after a reload"
upgrade_ok

# Another daemon, same control_socket, another port.
PORT2=$(other_port)
"$EPMD" -port "$PORT2" -f "$CTL_CONF" -d >"$TMP/second.log" 2>&1 </dev/null &
SECOND=$!
track_pid "$SECOND"
wait_daemon "$PORT2" "$SECOND" "$TMP/second.log"
grep -q "control socket: $CTL_SOCK is in use by another daemon" \
    "$TMP/second.log" || {
	cat "$TMP/second.log" >&2
	fail "second daemon: no word about the socket in use"
}
assert_eq "$(stat -c %i "$CTL_SOCK")" "$INODE" "socket inode, second daemon"
upgrade_ok
kill_wait "$SECOND"
[ -S "$CTL_SOCK" ] || fail "the second daemon removed the first's socket"

stop_daemon
[ -e "$CTL_SOCK" ] && fail "$CTL_SOCK left after a clean exit"
exit 0
