#!/bin/sh
#
# Run cmocka unit test binaries and total their test cases.
#
# usage: run.sh test_binary ...
#
# Each binary's own output is shown as it runs.  The last line is
# "N passed, N failed", counted in individual cmocka test cases from the
# "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)" summaries.  A
# binary that is missing, crashes or prints no summary counts as one
# failure.  Exits 1 if anything failed.

# Force cmocka's standard output format (not TAP, XML or subunit).
CMOCKA_MESSAGE_OUTPUT=stdout
export CMOCKA_MESSAGE_OUTPUT

tmp=$(mktemp "${TMPDIR:-/tmp}/run.XXXXXX") || exit 2
trap 'rm -f "$tmp" "$tmp.rc"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
status=0

for t in "$@"; do
	case $t in
	*/*)	;;
	*)	t=./$t ;;
	esac
	if [ ! -x "$t" ]; then
		echo "run.sh: $t: not found or not executable" >&2
		failed=$((failed + 1))
		status=1
		continue
	fi

	# Keep the exit status of the binary, not of tee.
	{ "$t" 2>&1; echo $? >"$tmp.rc"; } | tee "$tmp"
	rc=$(cat "$tmp.rc")

	# Sum every summary (a binary may run several groups).  Not anchored:
	# unbuffered stderr can land in front of a summary on the same line.
	read -r p f seen <<EOF
$(awk '
	function num(s) { gsub(/[^0-9]/, "", s); return s + 0 }
	match($0, /\[  PASSED  \] [0-9]+ test[(]s[)]/) {
		p += num(substr($0, RSTART + 12, RLENGTH - 12)); seen = 1
	}
	match($0, /\[  FAILED  \] [0-9]+ test[(]s[)]/) {
		f += num(substr($0, RSTART + 12, RLENGTH - 12)); seen = 1
	}
	END { print p + 0, f + 0, seen + 0 }
' "$tmp")
EOF

	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$seen" -eq 0 ]; then
		echo "run.sh: $t: no cmocka summary (exit status $rc)" >&2
		failed=$((failed + 1))
		status=1
	elif [ "$rc" -ne 0 ]; then
		if [ "$f" -eq 0 ]; then
			echo "run.sh: $t: exit status $rc" >&2
			failed=$((failed + 1))
		fi
		status=1
	elif [ "$f" -ne 0 ]; then
		status=1
	fi
done

echo "$passed passed, $failed failed"
exit $status
