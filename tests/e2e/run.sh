#!/bin/sh
# run.sh: run the end-to-end tests.
#
#   sh tests/e2e/run.sh [PATTERN...]
#
# Runs every tests/e2e/[0-9][0-9]-*.sh in order (or only those whose name
# contains one of the PATTERNs), each with bash under `timeout 120`, and
# prints PASS/FAIL/SKIP per test, then one final line
# "N passed, N failed[, N skipped]". A test's output is kept in the log dir
# and printed only when it fails. Exit status 1 if any test failed.
#
# Environment:
#   EPMDX            daemon binary under test (default build/epmdx, relative
#                    to the current directory, else to the repo root)
#   EPMD_UNDER_TEST  overrides EPMDX, e.g. /usr/bin/epmd (the oracle run;
#                    epmdx-only tests then exit 77 and count as SKIP)
#   STOCK_EPMD       reference epmd for the side-by-side CLI tests
#                    (default /usr/bin/epmd)
#   E2E_LOGDIR       where to keep logs (default: a new dir under $TMPDIR,
#                    removed when nothing failed)
#   E2E_TIMEOUT      per-test time limit in seconds (default 120)

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

bin=${EPMD_UNDER_TEST:-${EPMDX:-build/epmdx}}
case $bin in
/*) ;;
*/*)	if [ -e "$bin" ]; then
		bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
	else
		bin=$root/$bin
	fi ;;
*)	bin=$(command -v "$bin" || echo "$bin") ;;
esac
E2E_EPMD=$bin
export E2E_EPMD
[ -x "$bin" ] || echo "run.sh: warning: binary under test not executable: $bin" >&2

if [ -n "${E2E_LOGDIR:-}" ]; then
	logdir=$E2E_LOGDIR
	mkdir -p "$logdir" || exit 1
	keep=1
else
	logdir=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-e2e-logs.XXXXXX") || exit 1
	keep=0
fi
limit=${E2E_TIMEOUT:-120}

echo "e2e: binary under test: $bin"
passed=0 failed=0 skipped=0
tpid=
# On ^C or TERM, stop the running test's whole process group too.
trap '[ -n "$tpid" ] && kill -TERM -- -"$tpid" 2>/dev/null; exit 130' INT TERM HUP
start=$(date +%s)
for t in "$here"/[0-9][0-9]-*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	if [ $# -gt 0 ]; then
		want=0
		for pat in "$@"; do
			case $name in
			*"$pat"*) want=1 ;;
			esac
		done
		[ $want = 1 ] || continue
	fi
	log=$logdir/$name.log
	# timeout makes itself a process group leader; whatever the test
	# leaves behind in that group is killed afterwards by that id.
	timeout -k 10 "$limit" bash "$t" >"$log" 2>&1 </dev/null &
	tpid=$!
	wait $tpid
	rc=$?
	kill -KILL -- -"$tpid" 2>/dev/null
	case $rc in
	0)	echo "PASS $name"
		passed=$((passed + 1)) ;;
	77)	echo "SKIP $name"
		skipped=$((skipped + 1)) ;;
	*)	echo "FAIL $name"
		failed=$((failed + 1))
		[ $rc = 124 ] && echo "(timed out after ${limit}s)" >>"$log"
		echo "---- $name (exit $rc), log $log:"
		sed 's/^/    /' "$log"
		echo "----" ;;
	esac
done
if [ $failed = 0 ] && [ $keep = 0 ]; then
	rm -rf "$logdir"
	echo "e2e: $(( $(date +%s) - start ))s"
else
	echo "e2e: $(( $(date +%s) - start ))s, logs in $logdir"
fi
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed = 0 ]
