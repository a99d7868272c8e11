# common.sh: shell helpers shared by the test suites (bash only).
#
# Sourced by tests/{e2e,sync,hostile}/lib.sh (and through them by every
# test; tests/upgrade/lib.sh builds on e2e's), by tests/lib/runner.sh and
# by tests/lib/checklist.sh.  Sourcing it only defines functions and sets
# TESTS_LIB, REPO_ROOT, PYTHON and WIRE; test_setup does the rest for one
# test.
#
#   test_setup NAME   set -u, a clean environment (LC_ALL=C, no ERL_*
#                     settings), TEST_NAME, a private TMP dir
#                     $TMPDIR/epmdx-NAME.XXXXXX (never inside the repo,
#                     removed at exit unless KEEP_TMP is set), HOME=$TMP/home
#                     and the traps: on EXIT cleanup, on TERM/INT/HUP exit
#                     143/130/129
#   outcome           fail, skip, note, assert_eq, assert_match,
#                     assert_contains
#   waiting           now_ms, wait_until
#   ports             free_ports, free_port
#   processes         track_pid, on_exit_first, on_exit, alive, dead,
#                     kill_wait, kill_wait_all
#   paths             resolve_bin
#   daemon            start_daemon (the one way every suite starts epmdx)
#
# WIRE is tests/lib/wire.py, the raw-bytes EPMD command line; it and every
# other Python client of the suites use tests/lib/epmd.py.

TESTS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$TESTS_LIB/../.." && pwd)

if [ -x /usr/bin/python3 ]; then
	PYTHON=${PYTHON:-/usr/bin/python3}
else
	PYTHON=${PYTHON:-python3}
fi
WIRE=$TESTS_LIB/wire.py

# resolve_bin PATH: PATH made absolute.  A relative path is taken from the
# current directory when it exists there, else from the repo root; a bare
# name is looked up in PATH first.
resolve_bin()
{
	case $1 in
	/*)	printf '%s\n' "$1"
		return ;;
	*/*)	;;
	*)	command -v "$1" 2>/dev/null | grep / && return ;;
	esac
	if [ -e "$1" ]; then
		printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd)" "$(basename "$1")"
	else
		printf '%s/%s\n' "$REPO_ROOT" "$1"
	fi
}

# ---------------------------------------------------------------- outcome

# fail MSG: print MSG and end the test with status 1.
fail()
{
	printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

# skip MSG: end the test with status 77 (counted as SKIP by the runner).
skip()
{
	printf 'SKIP: %s: %s\n' "$TEST_NAME" "$*" >&2
	exit 77
}

# note MSG: a line "TEST_NAME: MSG" for the test's log (the hostile runner
# shows these under PASS).
note()
{
	printf '%s: %s\n' "$TEST_NAME" "$*"
}

# assert_eq GOT WANT [WHAT]
assert_eq()
{
	[ "$1" = "$2" ] && return 0
	printf 'expected %s:\n  %s\ngot:\n  %s\n' "${3:-value}" "$2" "$1" >&2
	fail "${3:-value} mismatch"
}

# assert_match GOT ERE [WHAT]: GOT matches the extended regex (whole string).
assert_match()
{
	[[ $1 =~ ^$2$ ]] && return 0
	printf 'expected %s to match:\n  %s\ngot:\n  %s\n' "${3:-value}" "$2" "$1" >&2
	fail "${3:-value} mismatch"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains()
{
	case $1 in
	*"$2"*) return 0 ;;
	esac
	printf 'expected %s to contain:\n  %s\ngot:\n  %s\n' "${3:-output}" "$2" "$1" >&2
	fail "${3:-output} does not contain expected text"
}

# ---------------------------------------------------------------- waiting

# now_ms: wall clock in milliseconds.
now_ms()
{
	if [ -n "${EPOCHREALTIME:-}" ]; then
		local t=${EPOCHREALTIME/[.,]/}
		printf '%s\n' $((t / 1000))
	else
		date +%s%3N
	fi
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds (0) or
# SECONDS pass (1).
wait_until()
{
	local limit=$1 end
	shift
	end=$(( $(now_ms) + limit * 1000 ))
	while :; do
		"$@" && return 0
		[ "$(now_ms)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# ------------------------------------------------------------------ ports

# free_ports N: N distinct random TCP ports in 20000-32767 (below Linux's
# ephemeral range, so no outgoing connection holds one; never 4369),
# bindable on 0.0.0.0 and :: (so on every 127.x and ::1 too; a host
# without IPv6 is fine), printed on one line.
free_ports()
{
	"$PYTHON" - "$1" <<'EOF'
import random, socket, sys
want, got = int(sys.argv[1]), []
for _ in range(2000):
    if len(got) == want:
        break
    p = random.randint(20000, 32767)
    if p in got:
        continue
    try:
        a = socket.socket(socket.AF_INET); a.bind(("0.0.0.0", p))
        try:
            b = socket.socket(socket.AF_INET6)
            b.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            b.bind(("::", p)); b.close()
        except OSError as e:
            if e.errno != 97:   # EAFNOSUPPORT: no IPv6 is fine
                raise
        a.close()
        got.append(p)
    except OSError:
        pass
if len(got) != want:
    sys.exit(1)
print(" ".join(map(str, got)))
EOF
}

# free_port: one free port.
free_port()
{
	free_ports 1
}

# -------------------------------------------------------------- processes

PIDS=""
EXIT_FIRST=()
EXIT_CMDS=()

# track_pid PID: stop PID when the test exits.
track_pid()
{
	PIDS="$1 $PIDS"
}

# on_exit_first CMD / on_exit CMD: eval CMD when the test exits, before /
# after the tracked pids are stopped (always before TMP is removed).
# EXIT_RC holds the exit status there, and a command may change it.
on_exit_first()
{
	EXIT_FIRST+=("$1")
}
on_exit()
{
	EXIT_CMDS+=("$1")
}

# alive PID: the process exists (bash reaps its children, so no zombies).
alive()
{
	kill -0 "$1" 2>/dev/null
}

# dead PID
dead()
{
	! kill -0 "$1" 2>/dev/null
}

# kill_wait PID [SECS]: TERM, wait up to SECS (5), then KILL and wait up
# to 2 s.
kill_wait()
{
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null
	wait_until "${2:-5}" dead "$1" && return 0
	kill -KILL "$1" 2>/dev/null
	wait_until 2 dead "$1"
}

# kill_wait_all PID...: TERM every PID at once, then kill_wait each, so
# they stop side by side.
kill_wait_all()
{
	local p
	for p in "$@"; do
		alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	for p in "$@"; do
		kill_wait "$p"
	done
}

# cleanup: the EXIT trap test_setup installs.
cleanup()
{
	EXIT_RC=$?
	local c
	trap - EXIT
	for c in "${EXIT_FIRST[@]+"${EXIT_FIRST[@]}"}"; do
		eval "$c"
	done
	# shellcheck disable=SC2086
	kill_wait_all $PIDS
	for c in "${EXIT_CMDS[@]+"${EXIT_CMDS[@]}"}"; do
		eval "$c"
	done
	[ -n "${TMP:-}" ] && [ -z "${KEEP_TMP:-}" ] && rm -rf "$TMP"
	exit "$EXIT_RC"
}

# ------------------------------------------------------------------ setup

# test_setup NAME: see the top of this file.
test_setup()
{
	set -u
	unset ERL_EPMD_ADDRESS ERL_EPMD_RELAXED_COMMAND_CHECK ERL_FLAGS \
	    ERL_AFLAGS ERL_ZFLAGS ELIXIR_ERL_OPTIONS ERL_EPMD_DIST_HIGH \
	    ERL_EPMD_DIST_LOW ERL_EPMD_PORT
	export LC_ALL=C
	TEST_NAME=$(basename "$0" .sh)

	trap cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	trap 'exit 129' HUP

	TMP=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-$1.XXXXXX") || {
		echo "cannot create temp dir" >&2
		exit 1
	}
	case $TMP in
	"$REPO_ROOT"/*) echo "temp dir inside the repo: $TMP" >&2; exit 1 ;;
	esac
	export HOME=$TMP/home
	mkdir -p "$HOME"
}

# ----------------------------------------------------------------- daemon

# daemon_ready [PORT [PID [HOST]]]: PID (DAEMON_PID) is alive and NAMES on
# HOST:PORT (127.0.0.1:$PORT) answers with the port header PORT (asked from
# the network namespace DAEMON_NETNS when set).
daemon_ready()
{
	local port=${1:-$PORT} pid=${2:-$DAEMON_PID} out
	alive "$pid" || return 1
	out=$(${DAEMON_NETNS:+ip netns exec "$DAEMON_NETNS"} "$PYTHON" "$WIRE" \
	    -H "${3:-127.0.0.1}" -p "$port" --names --timeout 2 2>/dev/null) ||
	    return 1
	[ "${out%%$'\n'*}" = "port $port" ]
}

# wait_daemon PORT PID LOG [HOST]: bounded wait (DAEMON_START_SECS, 10 s)
# until daemon_ready; fails, showing LOG, if PID exits or the time passes.
wait_daemon()
{
	local port=$1 pid=$2 log=$3 host=${4:-127.0.0.1} st
	local end=$(( $(now_ms) + ${DAEMON_START_SECS:-10} * 1000 ))
	until daemon_ready "$port" "$pid" "$host"; do
		if ! alive "$pid"; then
			cat "$log" >&2
			# Gone already, so this wait does not block.
			wait "$pid" 2>/dev/null
			st=$?
			fail "daemon (pid $pid) exited during startup on" \
			    "$host:$port, status $st (0 and no message: port busy)"
		fi
		[ "$(now_ms)" -ge "$end" ] &&
		    fail "daemon on $host:$port: no NAMES reply within" \
			"${DAEMON_START_SECS:-10} s"
		sleep 0.05
	done
}

# start_daemon_as NAME EP [ARGS...]: start $DAEMON_WRAP "$EPMD" -port P
# ARGS in the background, where EP is a port P, or ADDR:P to listen only
# on ADDR:P through a socket bound here and passed as systemd passes one
# (LISTEN_FDS; python binds it and execs the daemon, so several daemons
# can share a port on different addresses).  Output is appended to
# $TMP/NAME.log; the pid, tracked, is in DAEMON_PID and DPID_NAME (NAME a
# shell identifier).  Waits (wait_daemon) until it answers NAMES.
# DAEMON_WRAP is a command that execs its arguments (prlimit, valgrind);
# with DAEMON_NETNS set, the daemon runs, and is asked, in that network
# namespace.
start_daemon_as()
{
	local name=$1 ep=$2 addr="" port
	shift 2
	port=${ep##*:}
	case $ep in
	*:*)	addr=${ep%:*} ;;
	esac
	[ -x "$EPMD" ] || fail "daemon under test not executable: $EPMD"
	if [ -z "$addr" ]; then
		# shellcheck disable=SC2086
		${DAEMON_NETNS:+ip netns exec "$DAEMON_NETNS"} ${DAEMON_WRAP:-} \
		    "$EPMD" -port "$port" "$@" \
		    >>"$TMP/$name.log" 2>&1 </dev/null &
	else
		# shellcheck disable=SC2086
		${DAEMON_NETNS:+ip netns exec "$DAEMON_NETNS"} ${DAEMON_WRAP:-} \
		    "$PYTHON" -c '
import os, socket, sys
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(128)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ.pop("LISTEN_FDNAMES", None)
os.execv(sys.argv[3], sys.argv[3:])
' "$addr" "$port" "$EPMD" -port "$port" "$@" \
		    >>"$TMP/$name.log" 2>&1 </dev/null &
	fi
	DAEMON_PID=$!
	track_pid "$DAEMON_PID"
	case $name in
	*[!A-Za-z0-9_]*) ;;
	*) eval "DPID_$name=$DAEMON_PID" ;;
	esac
	wait_daemon "$port" "$DAEMON_PID" "$TMP/$name.log" "${addr:-127.0.0.1}"
}

# start_daemon [ARGS...]: start_daemon_as daemon $PORT "${DAEMON_ARGS[@]}"
# ARGS: the suite's one daemon, log $TMP/daemon.log.  A suite's lib.sh
# sets DAEMON_ARGS (hostile: -address 127.0.0.1; upgrade: -f its config).
DAEMON_ARGS=()
start_daemon()
{
	start_daemon_as daemon "$PORT" "${DAEMON_ARGS[@]+"${DAEMON_ARGS[@]}"}" "$@"
}

# stop_daemon: stop the daemon started by start_daemon (TERM, DAEMON_STOP_SECS
# (5) for it to exit, then KILL).
stop_daemon()
{
	kill_wait "$DAEMON_PID" "${DAEMON_STOP_SECS:-5}"
}

# daemon_ok: the daemon started by start_daemon still runs and answers
# NAMES, or fail.
daemon_ok()
{
	alive "$DAEMON_PID" || fail "daemon died (pid $DAEMON_PID)"
	daemon_ready || fail "daemon no longer answering NAMES"
}
