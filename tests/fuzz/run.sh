#!/bin/sh
# run.sh: run libFuzzer targets, one after the other, for a bounded time.
#
#   sh tests/fuzz/run.sh SECONDS build/fuzz/fuzz_NAME...
#
# Each target starts from its committed seeds (tests/fuzz/seeds/NAME/,
# read only) plus the corpus it grew before ($FUZZ_CORPUS/NAME/, default
# build/fuzz/corpus), runs for SECONDS, and is killed if it overruns by a
# minute.  Prints one line per target (PASS or FAIL, executions, rate,
# corpus size), then "N passed, N failed"; exits 1 if any target failed.
# A crash's input is kept as tests/fuzz/crashes/NAME-crash-<sha1> and its
# report (the stack) is printed.

here=$(cd "$(dirname "$0")" && pwd)
secs=${1:?usage: run.sh SECONDS FUZZER...}
shift
case $secs in
''|*[!0-9]*) echo "run.sh: SECONDS must be a number: $secs" >&2; exit 2 ;;
esac
corpus=${FUZZ_CORPUS:-build/fuzz/corpus}
crashes=$here/crashes
logs=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$logs"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$crashes" "$corpus" || exit 2

passed=0 failed=0
for bin in "$@"; do
	name=$(basename "$bin")
	name=${name#fuzz_}
	seeds=$here/seeds/$name
	log=$logs/$name.log
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz_$name: $bin not built"
		failed=$((failed + 1))
		continue
	fi
	if [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
		echo "FAIL fuzz_$name: no seeds in $seeds"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$corpus/$name"
	# New inputs go to the first directory; the seeds stay untouched.
	timeout -k 5 $((secs + 60)) "$bin" -max_total_time="$secs" \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$crashes/$name-" \
	    "$corpus/$name" "$seeds" >"$log" 2>&1 </dev/null
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	units=$(ls "$corpus/$name" | wc -l)
	if [ $rc = 0 ] && [ -n "$execs" ]; then
		echo "PASS fuzz_$name: $execs execs in ${secs}s" \
		    "(${rate:-?}/s), corpus $units"
		passed=$((passed + 1))
	else
		echo "FAIL fuzz_$name: exit $rc after ${execs:-?} execs"
		[ $rc = 124 ] && echo "    (killed: overran ${secs}s by 60s)"
		grep -n 'Test unit written to\|^SUMMARY' "$log" | sed 's/^/    /'
		echo "---- fuzz_$name report:"
		grep -v '^#[0-9]*[[:space:]]*\(NEW\|REDUCE\|pulse\|INITED\)' \
		    "$log" | tail -n 80 | sed 's/^/    /'
		echo "----"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ $failed = 0 ]
