# lib.sh: sourced (by bash) from every tests/hostile/NN-*.sh.
#
# Sets up, for one test (with tests/lib/common.sh's test_setup: TMP, HOME,
# the EXIT trap that stops every tracked pid, fail, skip, note, now_ms,
# wait_until, free_port, track_pid, alive, dead, kill_wait):
#   EPMD     absolute path of the daemon under test (HOSTILE_EPMD from
#            run.sh, else EPMDX, else build/epmdx from the repo root)
#   PORT     a free TCP port (see free_ports)
#   SANITIZED  1 when EPMD is built with ASan/UBSan
# and at exit stops the daemon first and fails the test if the daemon's
# log holds a sanitizer report.
#
# start_daemon, stop_daemon, daemon_ok and daemon_ready are common.sh's:
# the daemon listens on 127.0.0.1 (and ::1) only, gets 15 s
# (DAEMON_START_SECS) to answer and 20 s to stop; a DAEMON_WRAP must exec
# (prlimit and valgrind do).
# Helpers of its own: hc, write_conf, status_get, status_ge, status_le, names_has, names_count,
# cpu_ticks, rss_kb, log_count, start_holder, wait_ready, start_node,
# erl_ping.

HOSTILE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
. "$HOSTILE_DIR/../lib/common.sh"
test_setup hostile

EPMD=${HOSTILE_EPMD:-$(resolve_bin "${EPMDX:-build/epmdx}")}

# Sanitized builds: stop at the first error, report leaks at exit.
SANITIZED=0
if nm -D "$EPMD" 2>/dev/null | grep -q '__asan_init\|__ubsan_handle'; then
	SANITIZED=1
	: "${ASAN_OPTIONS:=halt_on_error=1:abort_on_error=1:detect_leaks=1}"
	export ASAN_OPTIONS
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
fi

# sanitizer_report FILE: FILE holds an ASan/UBSan/LSan report.
sanitizer_report()
{
	[ -f "$1" ] && grep -q -E \
	    'ERROR: (Address|Leak)Sanitizer|runtime error:' "$1"
}

DAEMON_PID=""
# At exit the daemon goes first, so a sanitizer's exit report is complete;
# such a report fails the test, and a failed test shows the daemon log.
# shellcheck disable=SC2016
on_exit_first '[ -n "$DAEMON_PID" ] && kill_wait "$DAEMON_PID" 20'
on_exit daemon_log_verdict
daemon_log_verdict()
{
	if [ "$SANITIZED" = 1 ] && sanitizer_report "$TMP/daemon.log"; then
		sed -n '/ERROR: \|runtime error:/,$p' "$TMP/daemon.log" |
		    head -n 60 >&2
		printf 'FAIL: %s: sanitizer report in the daemon log\n' \
		    "$TEST_NAME" >&2
		EXIT_RC=1
	fi
	if [ "$EXIT_RC" != 0 ] && [ "$EXIT_RC" != 77 ] &&
	    [ -f "$TMP/daemon.log" ]; then
		echo "---- daemon log (last 30 lines):" >&2
		tail -n 30 "$TMP/daemon.log" >&2
	fi
}

PORT=$(free_port) || fail "no free port"
export ERL_EPMD_PORT=$PORT
DAEMON_ARGS=(-address 127.0.0.1)
DAEMON_START_SECS=${DAEMON_START_SECS:-15}
DAEMON_STOP_SECS=20
# Nodes are name@localhost, so they reach each other over loopback only.
NODE_HOST=localhost

# ----------------------------------------------------------------- wire

# hc ARGS...: the hostile client against $PORT.
hc()
{
	"$PYTHON" "$HOSTILE_DIR/hclient.py" -p "$PORT" "$@"
}

# names_has NAME: NAMES lists NAME.
names_has()
{
	hc names 2>/dev/null | grep -q "^name $1 at port [0-9]*\$"
}

# names_count: the number of nodes NAMES lists (fails if no answer).
names_count()
{
	local out
	out=$(hc names) || return 1
	printf '%s\n' "$out" | grep -c '^name '
}

# status_get KEY: one value of the STATUS reply.
status_get()
{
	hc status | sed -n "s/^$1=//p"
}

# status_ge KEY N: the STATUS value of KEY is a number >= N.
status_ge()
{
	local v
	v=$(status_get "$1") || return 1
	[ -n "$v" ] && [ "$v" -ge "$2" ]
}

# status_le KEY N: the STATUS value of KEY is a number <= N.
status_le()
{
	local v
	v=$(status_get "$1") || return 1
	[ -n "$v" ] && [ "$v" -le "$2" ]
}

# ----------------------------------------------------------------- daemon

# write_conf LINE...: a configuration file at $TMP/epmdx.conf.
write_conf()
{
	printf '%s\n' "$@" >"$TMP/epmdx.conf"
}

# cpu_ticks PID: utime+stime in clock ticks (/proc/PID/stat).
cpu_ticks()
{
	# Fields after the ")" ending comm: state is 1, utime 12, stime 13.
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# rss_kb PID: VmRSS in KiB.
rss_kb()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# log_count ERE: lines of the daemon log matching ERE.
log_count()
{
	grep -c -E "$1" "$TMP/daemon.log"
}

# file_has_line FILE: FILE exists and has a line (a ready file).
file_has_line()
{
	[ -s "$1" ]
}

# start_holder NAME ARGS...: hc ARGS in the background (its own ready file
# $TMP/NAME.ready is the caller's to pass); pid in HOLDER_PID.
start_holder()
{
	local name=$1
	shift
	"$PYTHON" "$HOSTILE_DIR/hclient.py" -p "$PORT" "$@" \
	    >"$TMP/$name.out" 2>&1 </dev/null &
	HOLDER_PID=$!
	track_pid "$HOLDER_PID"
}

# wait_ready NAME SECS: wait for holder NAME's ready file; its count in
# READY_N.
wait_ready()
{
	local name=$1 secs=$2
	if ! wait_until "$secs" file_has_line "$TMP/$name.ready"; then
		cat "$TMP/$name.out" >&2
		fail "$name not ready after ${secs}s"
	fi
	READY_N=$(cat "$TMP/$name.ready")
}

# ----------------------------------------------------------------- erlang

COOKIE=epmdxhostile
# Distribution listens on loopback only.
ERL_LOOPBACK="-kernel inet_dist_use_interface {127,0,0,1}"

# start_node NAME: a real node NAME@localhost against $PORT, waited for
# (30 s) until NAMES lists it; pid in NODE_PID.
start_node()
{
	local name=$1 end
	command -v erl >/dev/null || skip "erl not installed"
	# shellcheck disable=SC2086
	ERL_EPMD_PORT=$PORT erl -sname "$name@$NODE_HOST" -start_epmd false \
	    -noshell $ERL_LOOPBACK -setcookie "$COOKIE" </dev/null \
	    >"$TMP/node-$name.log" 2>&1 &
	NODE_PID=$!
	track_pid "$NODE_PID"
	end=$(( $(now_ms) + 30000 ))
	until names_has "$name"; do
		alive "$NODE_PID" || {
			cat "$TMP/node-$name.log" >&2
			fail "node $name exited before registering"
		}
		[ "$(now_ms)" -ge "$end" ] && fail "node $name not registered"
		sleep 0.2
	done
}

# erl_ping FROM TO: on a temporary node, ask FROM to ping TO; prints the
# answer (pong or pang).
erl_ping()
{
	# shellcheck disable=SC2086
	ERL_EPMD_PORT=$PORT timeout -k 5 60 erl \
	    -sname "p$$x$RANDOM@$NODE_HOST" $ERL_LOOPBACK -hidden \
	    -start_epmd false -noshell -setcookie "$COOKIE" -eval "
	    R = erpc:call('$1@$NODE_HOST', net_adm, ping,
		['$2@$NODE_HOST'], 30000),
	    io:format(\"~p~n\", [R]), halt(0)." </dev/null
}
