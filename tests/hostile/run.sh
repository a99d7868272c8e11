#!/bin/sh
# run.sh: run the hostile-client tests.
#
#   sh tests/hostile/run.sh [PATTERN...]
#
# Runs every tests/hostile/[0-9][0-9]-*.sh in order (or those whose name
# contains a PATTERN), each with bash under `timeout` (HOSTILE_TIMEOUT,
# default 300 s) in its own process group, which is killed by its id
# afterwards.  Prints PASS/FAIL/SKIP per test, a test's log when it fails,
# and last exactly one line "N passed, N failed".  Exit 1 on any failure.
#
# Environment:
#   EPMDX            daemon under test (default build/epmdx; e.g.
#                    build-san/epmdx for the ASan+UBSan build)
#   HOSTILE_TIMEOUT  per-test limit in seconds (default 300)
#   HOSTILE_LOGDIR   keep every log there (default: a temp dir, removed
#                    when nothing failed)

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

bin=${EPMDX:-build/epmdx}
case $bin in
/*) ;;
*)	[ -e "$bin" ] || bin=$root/$bin
	bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") ;;
esac
HOSTILE_EPMD=$bin
export HOSTILE_EPMD
[ -x "$bin" ] || echo "run.sh: warning: daemon not executable: $bin" >&2

if [ -n "${HOSTILE_LOGDIR:-}" ]; then
	logdir=$HOSTILE_LOGDIR
	mkdir -p "$logdir" || exit 1
	keep=1
else
	logdir=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-hostile-logs.XXXXXX") ||
	    exit 1
	keep=0
fi
limit=${HOSTILE_TIMEOUT:-300}

echo "hostile: daemon under test: $bin"
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
	t0=$(date +%s)
	# timeout leads its own process group; what the test leaves behind
	# in it is killed afterwards by that id.
	timeout -k 10 "$limit" bash "$t" >"$log" 2>&1 </dev/null &
	tpid=$!
	wait $tpid
	rc=$?
	kill -KILL -- -"$tpid" 2>/dev/null
	dt=$(( $(date +%s) - t0 ))
	case $rc in
	0)	echo "PASS $name (${dt}s)"
		grep "^$name: " "$log" | sed 's/^/    /'
		passed=$((passed + 1)) ;;
	77)	echo "SKIP $name: $(grep '^SKIP' "$log" | head -n 1)"
		skipped=$((skipped + 1)) ;;
	*)	echo "FAIL $name (${dt}s)"
		failed=$((failed + 1))
		[ $rc = 124 ] && echo "(timed out after ${limit}s)" >>"$log"
		echo "---- $name (exit $rc), log $log:"
		sed 's/^/    /' "$log"
		echo "----" ;;
	esac
done
if [ $failed = 0 ] && [ $keep = 0 ]; then
	rm -rf "$logdir"
	echo "hostile: $(( $(date +%s) - start ))s, $skipped skipped"
else
	echo "hostile: $(( $(date +%s) - start ))s, $skipped skipped," \
	    "logs in $logdir"
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
