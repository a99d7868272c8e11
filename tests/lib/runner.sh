#!/bin/bash
# runner.sh: run one suite's tests; each suite's run.sh execs it.
#
#   bash tests/lib/runner.sh --suite NAME [OPTION...] -- [PATTERN...]
#
# Runs every tests/NAME/[0-9][0-9]-*.sh in order, or only those whose name
# contains one of the PATTERNs, each with bash under
# `timeout -k 10 SECS` (which leads its own process group; whatever the
# test leaves behind in it is killed afterwards by that group's id), stdin
# /dev/null, output to LOGDIR/TEST.log.  Prints per test "PASS TEST",
# "SKIP TEST" (exit 77) or "FAIL TEST" followed by its log; then
# "NAME: Ns[, N skipped][, logs in LOGDIR]" and last exactly
# "N passed, N failed" (", N skipped" added with --skipped-in-total when
# some were).  Exit status 1 if a test failed.  INT, TERM or HUP stop the
# running test's process group too and exit 130.
#
# Options:
#   --suite NAME         the suite: its directory tests/NAME, the prefix of
#                        the summary line and of the default log dir
#   --bin PATH           the binary under test, made absolute (resolve_bin)
#                        and printed as "NAME: LABEL: PATH"
#   --export VAR         export the absolute binary as VAR too
#   --ctl                export EPMDXCTL too: made absolute, else the
#                        epmdxctl next to the binary
#   --label TEXT         (default "binary under test")
#   --warn TEXT          the warning when the binary is not executable:
#                        "run.sh: warning: TEXT not executable: PATH"
#                        (default: LABEL)
#   --timeout SECS       per-test limit (default 120)
#   --logdir DIR         keep the logs in DIR (default: a new dir under
#                        $TMPDIR, removed when nothing failed)
#   --times              "PASS TEST (Ns)" and "FAIL TEST (Ns)"
#   --skip-reason first|last   "SKIP TEST: " and the first or last line of
#                        the log starting with SKIP
#   --notes              under PASS, the log's lines "TEST: ..." (note)
#   --skipped-in-total   the skip count in the last line, not the summary

# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

suite="" bin="" export_as="" ctl=0 label="binary under test" warn="" limit=120
logdir="" times=0 reason="" notes=0 skipped_in_total=0
while [ $# -gt 0 ]; do
	case $1 in
	--suite)	suite=$2; shift ;;
	--bin)		bin=$2; shift ;;
	--export)	export_as=$2; shift ;;
	--ctl)		ctl=1 ;;
	--label)	label=$2; shift ;;
	--warn)		warn=$2; shift ;;
	--timeout)	limit=$2; shift ;;
	--logdir)	logdir=$2; shift ;;
	--times)	times=1 ;;
	--skip-reason)	reason=$2; shift ;;
	--notes)	notes=1 ;;
	--skipped-in-total) skipped_in_total=1 ;;
	--)		shift; break ;;
	*)		echo "runner.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$suite" ] || { echo "runner.sh: --suite needed" >&2; exit 2; }
here=$TESTS_LIB/../$suite
here=$(cd "$here" && pwd) || exit 2

if [ -n "$bin" ]; then
	bin=$(resolve_bin "$bin")
	[ -n "$export_as" ] && export "$export_as=$bin"
	if [ $ctl = 1 ]; then
		EPMDXCTL=$(resolve_bin "${EPMDXCTL:-$(dirname "$bin")/epmdxctl}")
		export EPMDXCTL
	fi
	[ -x "$bin" ] || echo "run.sh: warning: ${warn:-$label} not executable: $bin" >&2
fi

if [ -n "$logdir" ]; then
	mkdir -p "$logdir" || exit 1
	keep=1
else
	logdir=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-$suite-logs.XXXXXX") || exit 1
	keep=0
fi

# The numbered tests, in order.
tests=()
for t in "$here"/[0-9][0-9]-*.sh; do
	[ -e "$t" ] && tests+=("$t")
done

# wanted NAME PATTERN...: no PATTERN, or NAME contains one.
wanted()
{
	local name=$1 pat
	shift
	[ $# = 0 ] && return 0
	for pat in "$@"; do
		case $name in
		*"$pat"*) return 0 ;;
		esac
	done
	return 1
}

[ -n "$bin" ] && echo "$suite: $label: $bin"
passed=0 failed=0 skipped=0
tpid=
# On ^C or TERM, stop the running test's whole process group too.
trap '[ -n "$tpid" ] && kill -TERM -- -"$tpid" 2>/dev/null; exit 130' INT TERM HUP
start=$(date +%s)
for t in "${tests[@]+"${tests[@]}"}"; do
	name=$(basename "$t" .sh)
	wanted "$name" "$@" || continue
	log=$logdir/$name.log
	t0=$(date +%s)
	timeout -k 10 "$limit" bash "$t" >"$log" 2>&1 </dev/null &
	tpid=$!
	wait $tpid
	rc=$?
	kill -KILL -- -"$tpid" 2>/dev/null
	secs=
	[ $times = 1 ] && secs=" ($(( $(date +%s) - t0 ))s)"
	case $rc in
	0)	echo "PASS $name$secs"
		[ $notes = 1 ] && grep "^$name: " "$log" | sed 's/^/    /'
		passed=$((passed + 1)) ;;
	77)	case $reason in
		first)	echo "SKIP $name: $(grep '^SKIP' "$log" | head -n 1)" ;;
		last)	echo "SKIP $name: $(grep '^SKIP' "$log" | tail -n 1)" ;;
		*)	echo "SKIP $name" ;;
		esac
		skipped=$((skipped + 1)) ;;
	*)	echo "FAIL $name$secs"
		failed=$((failed + 1))
		[ $rc = 124 ] && echo "(timed out after ${limit}s)" >>"$log"
		echo "---- $name (exit $rc), log $log:"
		sed 's/^/    /' "$log"
		echo "----" ;;
	esac
done
tpid=

line="$suite: $(( $(date +%s) - start ))s"
[ $skipped_in_total = 1 ] || line="$line, $skipped skipped"
if [ $failed = 0 ] && [ $keep = 0 ]; then
	rm -rf "$logdir"
	echo "$line"
else
	echo "$line, logs in $logdir"
fi
if [ $skipped_in_total = 1 ] && [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed = 0 ]
