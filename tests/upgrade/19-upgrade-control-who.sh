#!/bin/bash
# 19-upgrade-control-who: who may upgrade through the control socket
# (control_group = daemon).  The socket is mode 660, group daemon.  Root
# upgrades (same pid, "upgraded: pid"); a member of the group does, by
# supplementary group and by primary group; an unprivileged user (nobody,
# no groups) gets "cannot connect to the control socket ...: Permission
# denied (only root and group daemon may)" and exit 1.  With the file made
# world-writable, the daemon's own check still refuses nobody: "upgrade
# refused: not authorised: uid 65534 ...", and logs it; nothing upgrades.
. "$(dirname "$0")/lib.sh"
epmdx_only
command -v setpriv >/dev/null || skip "setpriv not installed"
getent group daemon >/dev/null || skip "no group daemon"

# A copy of the binary any user may run (the clone may be unreadable).
PUB=$TMP/pub
mkdir -p "$PUB"
cp "$EPMD" "$PUB/epmdxctl"
chmod 755 "$PUB" "$PUB/epmdxctl"

conf_add control_group daemon
start_daemon -d

# as WHO-ARGS... -- ARGS: epmdxctl as another user; CTL_RC, ctl.out/err.
as()
{
	local who=()
	while [ "$1" != -- ]; do
		who+=("$1")
		shift
	done
	shift
	timeout -k 2 30 setpriv "${who[@]}" "$PUB/epmdxctl" -f "$CTL_CONF" \
	    --port "$PORT" "$@" >"$TMP/ctl.out" 2>"$TMP/ctl.err" </dev/null
	CTL_RC=$?
}

assert_eq "$(stat -c '%a %G' "$CTL_SOCK")" "660 daemon" "socket mode, group"

upgrade_ok
wait_log 1 'upgrade: adopted' 10

NOBODY=(--reuid=nobody --regid=nogroup)
as "${NOBODY[@]}" --clear-groups -- upgrade
assert_eq "$CTL_RC" 1 "nobody: exit status"
assert_eq "$(cat "$TMP/ctl.err")" "epmdxctl: cannot connect to the control socket $CTL_SOCK: Permission denied (only root and group daemon may)" \
    "nobody: message"

for who in "--regid=nogroup --groups=daemon" "--regid=daemon --clear-groups"; do
	log_mark
	# shellcheck disable=SC2086
	as --reuid=nobody $who -- upgrade
	[ "$CTL_RC" = 0 ] || {
		cat "$TMP/ctl.err" >&2
		fail "group member ($who): exit $CTL_RC"
	}
	assert_match "$(cat "$TMP/ctl.out")" "upgraded: pid $DAEMON_PID .*" \
	    "group member ($who)"
	wait_log 1 'control: upgrade requested uid=65534 ' 5
	wait_log 1 'upgrade: adopted' 10
done

# Past the file mode, the daemon asks the kernel who connects.
chmod 666 "$CTL_SOCK"
log_mark
as "${NOBODY[@]}" --clear-groups -- upgrade
assert_eq "$CTL_RC" 1 "nobody past the file mode: exit status"
assert_eq "$(cat "$TMP/ctl.err")" "epmdxctl: upgrade refused: not authorised: uid 65534 is neither root nor in group daemon" \
    "nobody past the file mode: message"
wait_log 1 'control: refused uid=65534 ' 5
sleep 0.5
assert_eq "$(log_count 'upgrade requested')" 0 "upgrades started by nobody"
alive "$DAEMON_PID" || fail "daemon pid $DAEMON_PID gone"
daemon_ok
