#!/bin/bash
# 16-upgrade-cloexec: no descriptor of the daemon leaks into a child.  The
# daemon runs from a copy of the binary, which is then replaced by a
# wrapper that, when run as the `-n` check of `epmdxctl upgrade`, lists
# the sockets it inherited, then execs a good binary.  The check must
# inherit no socket (not the registrations, not the listeners, not the
# upgrade request's reply socket).  Before the upgrade and after it (the
# new process adopted every registration over exec), every descriptor of
# the daemon's own (sockets, memfds, epoll and event descriptors) is
# close-on-exec: /proc/PID/fdinfo flags carry O_CLOEXEC (02000000).  What
# the test harness leaked into the daemon at start is not its doing.  Close-on-exec is cleared only on what an upgrade
# hands over, just before its exec.
. "$(dirname "$0")/lib.sh"
epmdx_only

NRAW=5
run_from_copy
cp "$GOOD" "$TMP/bin/real"
start_daemon -d
hold_start "$NRAW"

# leaky PID: the sockets, memfds and anon inodes of PID without
# close-on-exec.
leaky()
{
	local f fd flags what
	for f in /proc/"$1"/fdinfo/*; do
		fd=${f##*/}
		[ "$fd" -ge 3 ] || continue
		what=$(readlink "/proc/$1/fd/$fd" 2>/dev/null) || continue
		case $what in
		socket:*|/memfd:*|anon_inode:*) ;;
		*) continue ;;
		esac
		flags=$(sed -n 's/^flags:[[:space:]]*//p' "$f" 2>/dev/null) ||
		    continue
		[ -n "$flags" ] || continue
		(( 8#$flags & 8#2000000 )) ||
		    echo "fd $fd -> $what flags $flags"
	done
}

assert_eq "$(leaky "$DAEMON_PID")" "" "descriptors without close-on-exec before"

# The wrapper: the -n check records what it inherited.
cat >"$BIN.new" <<EOF
#!/bin/sh
case " \$* " in
*" -n "*) find /proc/\$\$/fd -mindepth 1 -printf '%f %l\n' \
    >"$TMP/checker.fds" 2>/dev/null ;;
esac
exec "$TMP/bin/real" "\$@"
EOF
chmod 755 "$BIN.new"
mv -f "$BIN.new" "$BIN"

upgrade_ok
[ -s "$TMP/checker.fds" ] || fail "the -n check did not run the wrapper"
assert_eq "$(grep 'socket:' "$TMP/checker.fds")" "" \
    "sockets the -n check inherited"
wait_until 10 grep -aq 'upgrade: adopted' "$TMP/daemon.log" ||
    fail "no adoption in the log"
hold_cmd check
assert_eq "$HOLD_ANS" "open=$NRAW eof=0 data=0" "registration sockets"
assert_eq "$(leaky "$DAEMON_PID")" "" \
    "descriptors without close-on-exec after the upgrade"
