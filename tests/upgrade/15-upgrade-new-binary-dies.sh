#!/bin/bash
# 15-upgrade-new-binary-dies: a new binary that passes its -n check but
# fails to start ("If the new binary fails to start, the old process
# keeps serving (upgrade is refused, with the reason)").  The file on
# disk is replaced by a script that exits 0 for -n and 1 otherwise; after
# `epmdxctl upgrade` (which must exit 1 with a reason) the registrations
# must still be served on the port, and not one registration socket may
# have been closed.  With a good binary put back, an upgrade succeeds.
. "$(dirname "$0")/lib.sh"
epmdx_only

NRAW=10
run_from_copy
start_daemon -d
hold_start "$NRAW"
port2_all "$NRAW" "$TMP/port2.before"

printf '#!/bin/sh\n[ "$1" = -n ] && exit 0\necho "new binary: cannot start" >&2\nexit 1\n' \
    >"$BIN.new"
chmod 755 "$BIN.new"
mv -f "$BIN.new" "$BIN"

log_mark
ctl upgrade
cat "$TMP/ctl.out" "$TMP/ctl.err"
assert_eq "$CTL_RC" 1 "epmdxctl upgrade exit status"
assert_match "$(cat "$TMP/ctl.err")" "epmdxctl: upgrade.*: .+" \
    "epmdxctl upgrade reason"
# Whichever process serves now (the old one, or one that took over).
sleep 1
names >/dev/null 2>&1 || {
	tail -n 5 "$TMP/daemon.log" >&2
	fail "nothing answers NAMES on port $PORT after the failed upgrade"
}
# A standby that took over is a process this test did not start itself:
# stop it too when the test ends.
ctl status
serving=$(sed -n 's/^pid *//p' "$TMP/ctl.out")
[ -n "$serving" ] && track_pid "$serving"
port2_all "$NRAW" "$TMP/port2.after"
cmp -s "$TMP/port2.before" "$TMP/port2.after" || fail "PORT2 replies changed"
hold_cmd check
assert_eq "$HOLD_ANS" "open=$NRAW eof=0 data=0" "registration sockets"

cp "$GOOD" "$BIN.new"
mv -f "$BIN.new" "$BIN"
ctl upgrade
assert_eq "$CTL_RC" 0 "upgrade with the good binary back"
