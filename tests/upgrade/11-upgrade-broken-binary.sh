#!/bin/bash
# 11-upgrade-broken-binary: the daemon runs from a copy of the binary; the
# file on disk is replaced by (a) a script that exits 1, (b) a file
# without execute permission, (c) a program that never finishes its -n
# check.  Each time `epmdxctl upgrade` exits 1 with
# "epmdxctl: upgrade refused: REASON" naming the cause, and the old
# process (same pid) still serves: NAMES answers, every PORT2 reply is
# unchanged and no registration socket was closed.  With a good binary
# put back, the upgrade succeeds and keeps everything.
. "$(dirname "$0")/lib.sh"
epmdx_only

NRAW=20
run_from_copy
start_daemon -d
hold_start "$NRAW"
port2_all "$NRAW" "$TMP/port2.before"
DUMP_BEFORE=$(dump_hex) || fail "DUMP failed"

# replace_bin MODE CONTENT: a new file at $BIN (never written in place:
# the running binary stays intact, as with a package upgrade).
replace_bin()
{
	rm -f "$BIN.new"
	printf '%s\n' "$2" >"$BIN.new"
	chmod "$1" "$BIN.new"
	mv -f "$BIN.new" "$BIN"
}

# still_serving WHAT: same pid, same replies, every socket open.
still_serving()
{
	alive "$DAEMON_PID" || fail "$1: daemon pid $DAEMON_PID gone"
	daemon_ok
	port2_all "$NRAW" "$TMP/port2.now"
	cmp -s "$TMP/port2.before" "$TMP/port2.now" ||
	    fail "$1: PORT2 replies changed"
	assert_eq "$(dump_hex)" "$DUMP_BEFORE" "$1: DUMP"
	hold_cmd check
	assert_eq "$HOLD_ANS" "open=$NRAW eof=0 data=0" "$1: registration sockets"
}

# refused WHAT REASON-ERE: the upgrade is refused with that reason.
refused()
{
	log_mark
	ctl upgrade
	cat "$TMP/ctl.out" "$TMP/ctl.err"
	assert_eq "$CTL_RC" 1 "$1: epmdxctl upgrade exit status"
	assert_eq "$(cat "$TMP/ctl.out")" "" "$1: stdout"
	assert_match "$(cat "$TMP/ctl.err")" "epmdxctl: upgrade refused: $2" \
	    "$1: refusal"
	wait_log 1 'upgrade refused' 5
	[ "$(log_count 'upgrade: (exec|adopted)')" = 0 ] ||
	    fail "$1: the daemon went on with the upgrade"
	still_serving "$1"
}

replace_bin 755 '#!/bin/sh
exit 1'
refused "script exiting 1" ".*failed its check \\(-n exited 1\\).*"

cp "$GOOD" "$BIN.new"
chmod 644 "$BIN.new"
mv -f "$BIN.new" "$BIN"
refused "not executable" ".*$BIN.*(Permission denied|not executable).*"

# exec: the check's child is sleep itself, which the daemon kills.
replace_bin 755 '#!/bin/sh
exec sleep 30'
refused "check never ends" ".*did not finish its check.*"

cp "$GOOD" "$BIN.new"
mv -f "$BIN.new" "$BIN"
log_mark
upgrade_ok
wait_log 1 'upgrade: adopted' 10
still_serving "good binary"
