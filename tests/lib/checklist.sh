# checklist.sh: for a test script that is a list of checks, each counted
# and printed, rather than one test that ends at its first failure
# (tests/metrics/run.sh, tests/package/run.sh).  Sources common.sh and runs
# test_setup NAME; then, instead of common.sh's fail and skip:
#   pass DESC               count and print "ok   DESC"
#   fail DESC [DETAIL]      count and print "FAIL DESC" (DETAIL indented
#                           below it); returns 0, the script goes on
#   skip DESC               count and print "skip DESC"
#   check DESC CMD...       pass if CMD succeeds, else fail
#   summary                 print "N passed, N failed[, N skipped]" (skipped
#                           only when some were) and return 1 on a failure
# An interrupt (INT, TERM) ends the script with status 1.
#
#   . tests/lib/checklist.sh NAME

# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
test_setup "$1"
trap 'exit 1' INT TERM

npass=0
nfail=0
nskip=0

pass()
{
	npass=$((npass + 1))
	printf 'ok   %s\n' "$1"
}

fail()
{
	nfail=$((nfail + 1))
	printf 'FAIL %s\n' "$1"
	[ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/     /'
	return 0
}

skip()
{
	nskip=$((nskip + 1))
	printf 'skip %s\n' "$1"
}

check()
{
	local d=$1
	shift
	if "$@"; then pass "$d"; else fail "$d" "command: $*"; fi
}

summary()
{
	if [ "$nskip" -gt 0 ]; then
		echo "$npass passed, $nfail failed, $nskip skipped"
	else
		echo "$npass passed, $nfail failed"
	fi
	[ "$nfail" -eq 0 ]
}
