#!/bin/bash
# 14-upgrade-check-keeps-serving: while the new binary's -n check runs,
# the old process keeps answering.  The binary on disk is replaced by a
# program whose -n check hangs; during the check (the daemon gives it
# 10 s) PORT2 requests must still be answered within 2 s each,
# as a node's lookup would be ("a lookup made at any moment during the
# upgrade succeeds").  The upgrade is then refused and the process serves
# on.
. "$(dirname "$0")/lib.sh"
epmdx_only

NRAW=5
run_from_copy
start_daemon -d
hold_start "$NRAW"

printf '#!/bin/sh\nexec sleep 30\n' >"$BIN.new"
chmod 755 "$BIN.new"
mv -f "$BIN.new" "$BIN"

log_mark
ctl upgrade &
CTL_PID=$!
track_pid "$CTL_PID"
wait_log 1 'upgrade requested' 5
# The check is under way now: lookups go on for 4 s, 2 s limit each.
"$PYTHON" "$EPMDCL" hammer -p "$PORT" -n "$NRAW" --threads 1 \
    --names-pct 0 --duration 4 --log "$TMP/hammer.log" >"$TMP/hammer.out" 2>&1
HAMMER_RC=$?
cat "$TMP/hammer.out"
wait_until 20 dead "$CTL_PID" || fail "epmdxctl upgrade did not return"
wait "$CTL_PID"
assert_eq "$(log_count 'upgrade refused')" 1 "refusal in the log"
assert_eq "$HAMMER_RC" 0 "lookups during the check (hammer exit status)"
assert_match "$(tail -n 1 "$TMP/hammer.out")" 'ops=[0-9]+ failed=0 .*' \
    "lookups during the check"
alive "$DAEMON_PID" || fail "daemon gone"
hold_cmd check
assert_eq "$HOLD_ANS" "open=$NRAW eof=0 data=0" "registration sockets"
