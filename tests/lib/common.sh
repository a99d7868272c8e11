# common.sh: shell helpers shared by the test suites (bash only).
#
# Sourced by tests/{e2e,sync,hostile}/lib.sh (and through them by every
# test), by tests/lib/runner.sh, tests/lib/checklist.sh and the sync
# scripts that have no lib.sh of their own.  Sourcing it only defines
# functions and sets TESTS_LIB, REPO_ROOT and PYTHON; test_setup does the
# rest for one test.
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
#                     kill_wait
#   paths             resolve_bin

TESTS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$TESTS_LIB/../.." && pwd)

if [ -x /usr/bin/python3 ]; then
	PYTHON=${PYTHON:-/usr/bin/python3}
else
	PYTHON=${PYTHON:-python3}
fi

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

# cleanup: the EXIT trap test_setup installs.
cleanup()
{
	EXIT_RC=$?
	local p c
	trap - EXIT
	for c in "${EXIT_FIRST[@]+"${EXIT_FIRST[@]}"}"; do
		eval "$c"
	done
	for p in $PIDS; do
		alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait_until 5 dead "$p" || kill -KILL "$p" 2>/dev/null
	done
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
