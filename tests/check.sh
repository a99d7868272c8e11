#!/bin/bash
# Run every test suite in turn and add up their results.
#   tests/check.sh [suite ...]     (default: all)
# Each suite prints its own "N passed, N failed" last; this prints one
# line per suite and, last, the total as "N passed, N failed[, N skipped]".
# Exit status: non-zero if any suite failed or printed no result.
# Environment: BUILD (build dir, default build), passed on as EPMDX.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
export EPMDX=$top/$BUILD/epmdx EPMDXCTL=$top/$BUILD/epmdxctl

# name, command
suites=(
	"unit|make --no-print-directory BUILD=$BUILD unit"
	"e2e|sh tests/e2e/run.sh"
	"sync|sh tests/sync/run.sh"
	"upgrade|sh tests/upgrade/run.sh"
	"hostile|sh tests/hostile/run.sh"
	"metrics|bash tests/metrics/run.sh"
	"systemd|bash tests/systemd/run.sh"
)

want=" $* "
logs=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-check.XXXXXX")
tp=0 tf=0 ts=0 bad=0
summary=()
for s in "${suites[@]}"; do
	name=${s%%|*}
	cmd=${s#*|}
	[ $# -gt 0 ] && [ "${want#* $name }" = "$want" ] && continue
	echo "=== $name: $cmd"
	start=$(date +%s)
	bash -c "$cmd" 2>&1 | tee "$logs/$name.log"
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - start))
	line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' \
	    "$logs/$name.log" | tail -n 1)
	p=$(echo "$line" | sed -nE 's/.*\b([0-9]+) passed.*/\1/p')
	f=$(echo "$line" | sed -nE 's/.*\b([0-9]+) failed.*/\1/p')
	k=$(echo "$line" | sed -nE 's/.*\b([0-9]+) skipped.*/\1/p')
	if [ "$rc" -eq 77 ] && [ -z "$p" ]; then
		ts=$((ts + 1))
		summary+=("$name: skipped (${secs}s)")
		continue
	fi
	if [ -z "$p" ]; then
		bad=1
		summary+=("$name: no result line, exit $rc (${secs}s)")
		continue
	fi
	tp=$((tp + p))
	tf=$((tf + ${f:-0}))
	ts=$((ts + ${k:-0}))
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		bad=1
		[ "${f:-0}" -eq 0 ] && tf=$((tf + 1))
	fi
	summary+=("$name: $line (${secs}s)")
done
echo "=== summary (logs in $logs)"
for l in "${summary[@]}"; do
	echo "  $l"
done
if [ "$ts" -gt 0 ]; then
	echo "$tp passed, $tf failed, $ts skipped"
else
	echo "$tp passed, $tf failed"
fi
[ "$tf" -eq 0 ] && [ "$bad" -eq 0 ]
