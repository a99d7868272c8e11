#!/bin/sh
# run.sh: run the live-upgrade tests.
#
#   sh tests/upgrade/run.sh [PATTERN...]
#
# Runs every tests/upgrade/[0-9][0-9]-*.sh in order (or only those whose
# name contains one of the PATTERNs), each with bash under a time limit,
# and prints PASS/FAIL/SKIP per test, then one final line
# "N passed, N failed".  A test's output is kept in the log dir and
# printed only when it fails.  Exit status 1 if any test failed.
#
# Environment:
#   EPMDX            daemon binary under test (default build/epmdx, relative
#                    to the current directory, else to the repo root); the
#                    epmdxctl next to it is used, else a symlink to it
#   UPGRADE_LOGDIR   where to keep logs (default: a new dir under $TMPDIR,
#                    removed when nothing failed)
#   UPGRADE_TIMEOUT  per-test time limit in seconds (default 180)

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

bin=${EPMDX:-build/epmdx}
case $bin in
/*) ;;
*/*)	if [ -e "$bin" ]; then
		bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
	else
		bin=$root/$bin
	fi ;;
*)	bin=$(command -v "$bin" || echo "$bin") ;;
esac
# tests/e2e/lib.sh takes the binary from E2E_EPMD.
E2E_EPMD=$bin
export E2E_EPMD
unset EPMD_UNDER_TEST
[ -x "$bin" ] || echo "run.sh: warning: binary under test not executable: $bin" >&2

if [ -n "${UPGRADE_LOGDIR:-}" ]; then
	logdir=$UPGRADE_LOGDIR
	mkdir -p "$logdir" || exit 1
	keep=1
else
	logdir=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-upgrade-logs.XXXXXX") || exit 1
	keep=0
fi
limit=${UPGRADE_TIMEOUT:-180}

echo "upgrade: binary under test: $bin"
passed=0 failed=0 skipped=0
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
	# timeout leads its own process group; whatever the test leaves
	# behind in that group is killed afterwards by that id.
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
	echo "upgrade: $(( $(date +%s) - start ))s, $skipped skipped"
else
	echo "upgrade: $(( $(date +%s) - start ))s, $skipped skipped, logs in $logdir"
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
