#!/bin/bash
# valgrind.sh: memcheck over every unit test binary and over the daemon
# in an end-to-end run.
#
#   bash tests/hostile/valgrind.sh
#
# 1. Each build/tests/test_* binary under valgrind memcheck (full leak
#    check, definite and indirect leaks are errors): its tests pass and
#    valgrind reports no error.
# 2. The daemon (EPMDX, default build/epmdx; not a sanitized build) under
#    memcheck on a free port with -relaxed_command_check: a real Erlang
#    node and three raw registrations, NAMES, DUMP, PORT2 (found and not),
#    STATUS, STOP of a raw registration and of an unknown name, bad
#    frames; then SIGTERM with everything still registered.  It must exit
#    0 with zero errors and zero definitely or indirectly lost bytes.
# Prints PASS/FAIL per item (valgrind's report when it fails), then
# exactly "N passed, N failed"; exits 1 on any failure.
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || skip "valgrind not installed"
[ "$SANITIZED" = 0 ] ||
    fail "$EPMD is built with sanitizers; valgrind needs the plain build"

VG="valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect"
VG="$VG --error-exitcode=1"
passed=0 failed=0

# vg_clean LOG: valgrind's LOG reports no error and no definite/indirect
# leak.
vg_clean()
{
	grep -q 'ERROR SUMMARY: 0 errors' "$1" || return 1
	grep -q 'definitely lost: [1-9]\|indirectly lost: [1-9]' "$1" &&
	    return 1
	return 0
}

# verdict OK WHAT LOG: count and print one result.
verdict()
{
	if [ "$1" = 0 ]; then
		echo "PASS $2"
		passed=$((passed + 1))
	else
		echo "FAIL $2"
		failed=$((failed + 1))
		echo "---- $2: valgrind and test output (last 60 lines):"
		tail -n 60 "$3" | sed 's/^/    /'
		echo "----"
	fi
}

# ------------------------------------------------------------ unit tests

units=0
for t in "$REPO_ROOT"/build/tests/test_*; do
	case $t in
	*.o|*\*) continue ;;
	esac
	[ -x "$t" ] || continue
	units=$((units + 1))
	name=$(basename "$t")
	log=$TMP/$name.vg
	CMOCKA_MESSAGE_OUTPUT=stdout timeout -k 10 600 $VG "$t" >"$log" 2>&1
	rc=$?
	ok=1
	[ $rc = 0 ] && vg_clean "$log" && ok=0
	tests=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" |
	    awk '{ n += $1 } END { print n + 0 }')
	verdict $ok "valgrind $name ($tests tests)" "$log"
done
[ $units -gt 0 ] || {
	echo "FAIL no unit test binaries in build/tests (make unit first)"
	failed=$((failed + 1))
}

# ---------------------------------------------------------------- daemon

e2e()
{
	local out st

	# A port picked now: the unit tests above took a while.
	PORT=$(free_port) || fail "no free port"
	export ERL_EPMD_PORT=$PORT
	# Under valgrind the daemon starts slowly.
	DAEMON_START_SECS=60 \
	    DAEMON_WRAP="$VG --log-file=$TMP/daemon.vg" \
	    start_daemon -relaxed_command_check
	start_node vgnode || return 1
	start_holder raw register raw 3 "$TMP/raw.ready" 200
	wait_ready raw 60

	out=$(hc names) || { echo "NAMES failed"; return 1; }
	for n in vgnode raw0000 raw0001 raw0002; do
		printf '%s\n' "$out" | grep -q "^name $n at port " ||
		    { echo "NAMES lacks $n"; return 1; }
	done
	out=$(hc req 100) || { echo "DUMP failed"; return 1; }
	case $out in
	*"active name     <raw0001> at port 1025, fd = "*) ;;
	*) echo "DUMP: $out"; return 1 ;;
	esac
	[ "$(hc port2 raw0002)" = "port 1026" ] || { echo "PORT2 found"; return 1; }
	[ "$(hc port2 nosuch)" = notfound ] || { echo "PORT2 not found"; return 1; }
	[ "$(status_get registrations)" = 4 ] ||
	    { echo "STATUS registrations=$(status_get registrations)"; return 1; }
	out=$(hc req 115 raw0000 | tail -n 1)
	[ "$out" = "b'STOPPED'" ] || { echo "STOP raw0000: $out"; return 1; }
	out=$(hc req 115 nosuch | tail -n 1)
	[ "$out" = "b'NOEXISTSTOPPED'" ] || { echo "STOP nosuch: $out"; return 1; }
	wait_until 10 status_le registrations 3 || { echo "STOP kept it"; return 1; }
	hc frames garbage || return 1
	hc frames pipelined || return 1

	# SIGTERM with the node and two raw registrations still in.
	kill -TERM "$DAEMON_PID"
	wait_until 60 dead "$DAEMON_PID" || { echo "no exit after SIGTERM"; return 1; }
	wait "$DAEMON_PID"
	st=$?
	DAEMON_PID=""
	[ $st = 0 ] || { echo "daemon exit status $st under valgrind"; return 1; }
	vg_clean "$TMP/daemon.vg" ||
	    { echo "valgrind reports errors or leaks"; return 1; }
	grep -E 'ERROR SUMMARY|definitely lost|in use at exit' "$TMP/daemon.vg" |
	    sed 's/^==[0-9]*== */    /'
	return 0
}

# In a subshell, so a failing helper (fail) ends only this part; its own
# trap stops what it started.
(
	trap 'for p in $DAEMON_PID $PIDS; do kill -KILL "$p" 2>/dev/null; done' EXIT
	e2e
) >"$TMP/e2e.out" 2>&1
rc=$?
cat "$TMP/daemon.vg" >>"$TMP/e2e.out" 2>/dev/null
if [ $rc = 0 ]; then
	rm -f "$TMP/daemon.log"		# nothing for cleanup to show
	verdict 0 "valgrind daemon e2e" "$TMP/e2e.out"
	sed -n '/^    /p' "$TMP/e2e.out" | head -n 3
else
	verdict 1 "valgrind daemon e2e" "$TMP/e2e.out"
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
