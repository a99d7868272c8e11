#!/bin/sh
# run.sh: run the peer-sync tests.
#
#   sh tests/sync/run.sh [PATTERN...]
#
# Runs every tests/sync/[0-9][0-9]-*.sh in order, then every other *.sh
# here except lib.sh and run.sh (dns.sh, mcast.sh, ...), in name order; or
# only those whose name contains one of the PATTERNs.  Each runs under bash
# with `timeout 180` (SYNC_TIMEOUT) and prints PASS, FAIL or SKIP (exit 77);
# a failed test's output is printed.  The last line is exactly
# "N passed, N failed"; the exit status is 1 if any test failed.
#
# Environment:
#   EPMDX, EPMDXCTL  binaries under test (default build/epmdx and
#                    build/epmdxctl, relative to the current directory,
#                    else to the repo root)
#   SYNC_LOGDIR      where to keep the logs (default: a new dir under
#                    $TMPDIR, removed when nothing failed)
#   SYNC_TIMEOUT     per-test limit in seconds (default 180)

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# abs PATH: absolute, relative paths tried here, then at the repo root.
abs()
{
	case $1 in
	/*)	echo "$1" ;;
	*)	if [ -e "$1" ]; then
			echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
		else
			echo "$root/$1"
		fi ;;
	esac
}
EPMDX=$(abs "${EPMDX:-build/epmdx}")
EPMDXCTL=$(abs "${EPMDXCTL:-$(dirname "$EPMDX")/epmdxctl}")
export EPMDX EPMDXCTL
[ -x "$EPMDX" ] || echo "run.sh: warning: daemon not executable: $EPMDX" >&2

if [ -n "${SYNC_LOGDIR:-}" ]; then
	logdir=$SYNC_LOGDIR
	mkdir -p "$logdir" || exit 1
	keep=1
else
	logdir=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-sync-logs.XXXXXX") || exit 1
	keep=0
fi
limit=${SYNC_TIMEOUT:-180}

# The numbered tests in order, then the others (lib.sh, run.sh excluded).
tests=""
for t in "$here"/[0-9][0-9]-*.sh; do
	[ -e "$t" ] && tests="$tests $t"
done
for t in "$here"/*.sh; do
	case $(basename "$t") in
	lib.sh | run.sh | [0-9][0-9]-*.sh) continue ;;
	esac
	[ -e "$t" ] && tests="$tests $t"
done

echo "sync: daemon under test: $EPMDX"
passed=0 failed=0 skipped=0
start=$(date +%s)
for t in $tests; do
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
	t0=$(date +%s)
	# timeout leads its own process group; whatever the test leaves
	# behind in it is killed afterwards by that group's id.
	timeout -k 10 "$limit" bash "$t" >"$log" 2>&1 </dev/null &
	tpid=$!
	wait $tpid
	rc=$?
	kill -KILL -- -"$tpid" 2>/dev/null
	secs=$(( $(date +%s) - t0 ))
	case $rc in
	0)	echo "PASS $name (${secs}s)"
		passed=$((passed + 1)) ;;
	77)	echo "SKIP $name: $(grep '^SKIP' "$log" | tail -n 1)"
		skipped=$((skipped + 1)) ;;
	*)	echo "FAIL $name (${secs}s)"
		failed=$((failed + 1))
		[ $rc = 124 ] && echo "(timed out after ${limit}s)" >>"$log"
		echo "---- $name (exit $rc), log $log:"
		sed 's/^/    /' "$log"
		echo "----" ;;
	esac
done
if [ $failed = 0 ] && [ $keep = 0 ]; then
	rm -rf "$logdir"
	echo "sync: $(( $(date +%s) - start ))s, $skipped skipped"
else
	echo "sync: $(( $(date +%s) - start ))s, $skipped skipped, logs in $logdir"
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
