#!/bin/bash
# 96-cli-watch-json: `epmdxctl watch --json` prints one JSON object per
# line: "add" for each node of the table, "synced" once the table is
# complete, then "add" and "remove" as nodes come and go; without --json
# the same events read "+ name@host port address", "= (table complete)"
# and "- name@host".  When the daemon goes, it exits 1 saying so.
. "$(dirname "$0")/lib.sh"
epmdx_only
EPMDXCTL=$(resolve_bin "${EPMDXCTL:-$(dirname "$EPMD")/epmdxctl}")

start_daemon
register pre 4567
H=$(hostname -s 2>/dev/null || uname -n)
H=${H%%.*}
J=$TMP/watch.json
T=$TMP/watch.txt
"$EPMDXCTL" --port "$PORT" --json watch >"$J" 2>"$TMP/watch.err" &
JPID=$!
track_pid $JPID
"$EPMDXCTL" --port "$PORT" watch >"$T" 2>&1 &
track_pid $!
wait_until 10 grep -q synced "$J" || fail "no synced event: $(cat "$J")"
wait_until 10 grep -q '^=' "$T" || fail "no = line: $(cat "$T")"
register late 5678 --high 6 --low 5
kill_wait "$REG_PID"
wait_until 10 grep -q '"remove"' "$J" || fail "no remove event: $(cat "$J")"
wait_until 10 grep -q '^- ' "$T" || fail "no - line: $(cat "$T")"
assert_eq "$(cat "$J")" \
"{\"event\":\"add\",\"node\":\"pre@$H\",\"name\":\"pre\",\"host\":\"$H\",\"port\":4567,\"type\":77,\"protocol\":0,\"high\":6,\"low\":5,\"address\":\"127.0.0.1\"}
{\"event\":\"synced\"}
{\"event\":\"add\",\"node\":\"late@$H\",\"name\":\"late\",\"host\":\"$H\",\"port\":5678,\"type\":77,\"protocol\":0,\"high\":6,\"low\":5,\"address\":\"127.0.0.1\"}
{\"event\":\"remove\",\"node\":\"late@$H\",\"name\":\"late\",\"host\":\"$H\"}" \
    "watch --json"
assert_eq "$(cat "$T")" "+ pre@$H 4567 127.0.0.1
= (table complete)
+ late@$H 5678 127.0.0.1
- late@$H" "watch"
# Every line is valid JSON.
"$PYTHON" -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$J" ||
    fail "not JSON lines"
stop_daemon
wait_until 10 dead "$JPID" || fail "watch still running after the daemon stopped"
wait "$JPID"
assert_eq "$?" 1 "watch exit status when the daemon closes"
assert_eq "$(cat "$TMP/watch.err")" "epmdxctl: the daemon closed the watch" \
    "watch stderr"
