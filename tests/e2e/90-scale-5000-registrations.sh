#!/bin/bash
# 90-scale-5000-registrations (epmdx only; stock epmd tops out near 1019
# connections): 5,000 registrations held open at once all succeed; then
# every name resolves with PORT_PLEASE2 to its own port, NAMES lists all
# 5,000 names, and the daemon closed none of the registrations.
# Reference: epmd-reference.md 2 (connection table: stock's limit).
. "$(dirname "$0")/lib.sh"

epmdx_only
N=${E2E_SCALE_N:-5000}
nofile_for "$N"
start_daemon
"$PYTHON" "$WIRE" -p "$PORT" --bulk-register "$N" --prefix s \
    --base 10000 --timeout 100 >"$TMP/bulk.out" 2>&1 &
bulk=$!
track_pid "$bulk"
wait_until 60 file_lines_ge "$TMP/bulk.out" 1 ||
    fail "bulk registration not done in 60 s: $(cat "$TMP/bulk.out")"
assert_eq "$(head -n 1 "$TMP/bulk.out")" "registered=$N failed=0" "bulk registration"

out=$(wire --bulk-lookup "$N" --prefix s --base 10000)
assert_eq "$out" "found=$N wrong=0 missing=0" "PORT2 for every name"

names >"$TMP/names" || fail "NAMES failed"
assert_eq "$(head -n 1 "$TMP/names")" "port $PORT" "NAMES header"
tail -n +2 "$TMP/names" | sort >"$TMP/got"
for ((i = 1; i <= N; i++)); do
	echo "name s$i at port $((10000 + i))"
done | sort >"$TMP/want"
cmp -s "$TMP/got" "$TMP/want" ||
    fail "NAMES lists $(wc -l <"$TMP/got") lines, want the $N names: $(diff "$TMP/want" "$TMP/got" | head -5)"

kill -TERM "$bulk"
wait_until 10 file_lines_ge "$TMP/bulk.out" 2 || fail "bulk holder did not report"
assert_eq "$(sed -n 2p "$TMP/bulk.out")" "closed=0" "registrations the daemon closed"
daemon_ok
