# lib.sh: sourced (by bash) from every tests/upgrade/NN-*.sh.
#
# Reuses tests/e2e/lib.sh (read only) for the basics: EPMD (the daemon
# under test), PORT, TMP, HOME, NODE_HOST, the EXIT trap that stops every
# tracked pid, fail/skip/assert_*, wait_until, start_daemon (output in
# $TMP/daemon.log), start_node, erl_run, names, names_has.  Adds:
#   EPMDXCTL     the control tool next to $EPMD (else a symlink to it)
#   EPMDCL       tests/upgrade/epmdcl.py (holder, hammer, checkers)
#   CTL_DIR      $TMP/run (0755; $TMP made 0711 so that other users can
#                reach it), where the daemon's control socket lives
#   CTL_SOCK     $CTL_DIR/control.sock
#   CTL_CONF     $TMP/epmdx.conf: control_socket = $CTL_SOCK (add keys
#                with conf_add KEY VALUE before start_daemon)
#   start_daemon ARGS   common.sh's, with -f $CTL_CONF (DAEMON_ARGS)
#   ctl ARGS     epmdxctl -f $CTL_CONF --port $PORT ARGS, bounded to 30 s:
#                stdout in $TMP/ctl.out, stderr in $TMP/ctl.err, exit code
#                in CTL_RC
#   status_of KEY  one value of `epmdxctl status`
#   upgrade_ok   ctl upgrade must print "upgraded: pid $DAEMON_PID", exit 0
#   hold_start N [ARGS]   a python holder of N raw registrations (coproc;
#                pid HOLD_PID, tracked); fails unless all N registered
#   hold_cmd CMD  one holder command; its answer in HOLD_ANS (60 s bound)
#   log_mark / log_since  the daemon log from a mark on
#   wait_log N ERE SECS   wait until the log holds N lines matching ERE
#   raw_request HEX       one framed request, the reply as hex
#   dump_hex     the DUMP reply as hex
#   port2_all N FILE [ARGS]   PORT2 for nodes 0..N-1, replies to FILE; must
#                all be the expected bytes
#   run_from_copy   the daemon runs from $BIN, a copy of $EPMD (the real
#                one stays in GOOD), so a test can replace it
#   start_state KIND [ARGS]  a daemon on a fresh PORT started on a handover
#                state of KIND made by epmdcl.py state; DAEMON_PID,
#                STATE_PID, PEER (eof or open)
#   sock_count PID   open sockets of PID
#   memfd_count PID  open memfds of PID

UPGRADE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../e2e/lib.sh
. "$UPGRADE_DIR/../e2e/lib.sh"

EPMDCL=$UPGRADE_DIR/epmdcl.py
if [ -x "$(dirname "$EPMD")/epmdxctl" ]; then
	EPMDXCTL=$(dirname "$EPMD")/epmdxctl
else
	mkdir -p "$TMP/ctlbin"
	ln -s "$EPMD" "$TMP/ctlbin/epmdxctl"
	EPMDXCTL=$TMP/ctlbin/epmdxctl
fi

CTL_DIR=$TMP/run
CTL_SOCK=$CTL_DIR/control.sock
CTL_CONF=$TMP/epmdx.conf
chmod 711 "$TMP"
mkdir -p "$CTL_DIR"
chmod 755 "$CTL_DIR"
printf 'control_socket = %s\n' "$CTL_SOCK" >"$CTL_CONF"
chmod 644 "$CTL_CONF"
DAEMON_ARGS=(-f "$CTL_CONF")

# conf_add KEY VALUE: one more top-level key in $CTL_CONF.
conf_add()
{
	printf '%s = %s\n' "$1" "$2" >>"$CTL_CONF"
}

# ctl ARGS...: the control tool against $PORT and the test's socket.
ctl()
{
	timeout --foreground -k 2 30 "$EPMDXCTL" -f "$CTL_CONF" --port "$PORT" "$@" \
	    >"$TMP/ctl.out" 2>"$TMP/ctl.err" </dev/null
	CTL_RC=$?
}

# status_of KEY: the value of KEY in `epmdxctl status` (fails if no answer).
status_of()
{
	ctl status
	[ "$CTL_RC" = 0 ] || return 1
	awk -v k="$1" '$1 == k { print $2 }' "$TMP/ctl.out"
}

# upgrade_ok: epmdxctl upgrade succeeds and the pid stays the same.
upgrade_ok()
{
	ctl upgrade
	if [ "$CTL_RC" != 0 ]; then
		cat "$TMP/ctl.out" "$TMP/ctl.err" >&2
		tail -n 20 "$TMP/daemon.log" >&2
		fail "epmdxctl upgrade exited $CTL_RC"
	fi
	assert_match "$(cat "$TMP/ctl.out")" "upgraded: pid $DAEMON_PID( .*)?" \
	    "epmdxctl upgrade output"
}

# hold_start N [ARGS...]: hold N raw registrations (epmdcl.py hold).
hold_start()
{
	local n=$1
	shift
	coproc HOLD { exec "$PYTHON" "$EPMDCL" hold -p "$PORT" -n "$n" \
	    --lifetime 175 "$@" 2>>"$TMP/holder.err"; }
	track_pid "$HOLD_PID"
	read -r -t 60 -u "${HOLD[0]}" HOLD_ANS || {
		cat "$TMP/holder.err" >&2
		fail "holder: no answer within 60 s"
	}
	assert_eq "$HOLD_ANS" "registered=$n failed=0" "holder registrations"
}

# hold_cmd CMD...: send one command to the holder, answer in HOLD_ANS.
hold_cmd()
{
	[ -n "${HOLD[1]:-}" ] || fail "holder gone ($*)"
	printf '%s\n' "$*" >&"${HOLD[1]}" || fail "holder gone ($*)"
	read -r -t 60 -u "${HOLD[0]}" HOLD_ANS || {
		cat "$TMP/holder.err" >&2
		fail "holder: no answer to '$*' within 60 s"
	}
}

LOG_MARK=0
# log_mark: remember where the daemon log ends now.
log_mark()
{
	LOG_MARK=$(wc -c <"$TMP/daemon.log")
}

# log_since: the daemon log written after the last log_mark.
log_since()
{
	tail -c +"$((LOG_MARK + 1))" "$TMP/daemon.log"
}

# log_count ERE: lines after the mark matching ERE.
log_count()
{
	log_since | grep -aEc -- "$1"
}

# log_has_n N ERE
log_has_n()
{
	[ "$(log_count "$2")" -ge "$1" ]
}

# wait_log N ERE SECS: bounded wait for N matching lines after the mark.
wait_log()
{
	wait_until "$3" log_has_n "$1" "$2" && return 0
	tail -n 30 "$TMP/daemon.log" >&2
	fail "daemon log: fewer than $1 lines matching '$2' after $3 s"
}

# raw_request HEX [PORT]: send one framed request, print the reply hex.
raw_request()
{
	"$PYTHON" "$EPMDCL" request -p "${2:-$PORT}" --timeout 5 "$1"
}

# dump_hex: the DUMP reply, hex.
dump_hex()
{
	raw_request 000164
}

# port2_all N FILE [ARGS...]: every node's PORT2 reply must be right.
port2_all()
{
	local n=$1 out=$2
	shift 2
	"$PYTHON" "$EPMDCL" port2 -p "$PORT" -n "$n" --out "$out" "$@" \
	    >"$TMP/port2.out" 2>&1 || {
		cat "$TMP/port2.out" >&2
		fail "PORT2 replies not as registered"
	}
}

# run_from_copy: BIN=$TMP/bin/epmdx, a copy of $EPMD, becomes EPMD (the
# binary start_daemon runs and an upgrade executes again); GOOD is the
# original.
run_from_copy()
{
	BIN=$TMP/bin/epmdx
	mkdir -p "$TMP/bin"
	cp "$EPMD" "$BIN"
	GOOD=$EPMD
	EPMD=$BIN
}

# start_state KIND [ARGS...]: `epmdcl.py state --kind KIND ARGS` starts the
# daemon on a fresh PORT with a handover state of KIND (log
# $TMP/daemon.log, helper output $TMP/state.out); waits for its "ready"
# line.  DAEMON_PID, STATE_PID (both tracked) and PEER: eof or open, what
# the test's end of the state's registration saw.
start_state()
{
	local kind=$1
	shift
	PORT=$(free_port) || fail "no free port"
	: >"$TMP/daemon.log"
	# Not truncated by the helper's redirection, which runs later: a
	# wait below would read the last kind's lines.
	rm -f "$TMP/state.out"
	"$PYTHON" "$EPMDCL" state --kind "$kind" --epmd "$EPMD" -p "$PORT" \
	    --log "$TMP/daemon.log" --hold 60 "$@" >"$TMP/state.out" 2>&1 &
	STATE_PID=$!
	track_pid "$STATE_PID"
	wait_until 10 grep -q '^pid ' "$TMP/state.out" ||
	    fail "$kind: daemon not started: $(cat "$TMP/state.out")"
	DAEMON_PID=$(sed -n 's/^pid //p' "$TMP/state.out")
	track_pid "$DAEMON_PID"
	wait_until 20 grep -q '^peer ' "$TMP/state.out" ||
	    fail "$kind: state helper did not finish: $(cat "$TMP/state.out")"
	grep -q '^ready$' "$TMP/state.out" || {
		cat "$TMP/daemon.log" >&2
		fail "$kind: no ready line"
	}
	PEER=$(sed -n 's/^peer //p' "$TMP/state.out")
}

# sock_count PID: sockets PID holds (not whatever it inherited else).
sock_count()
{
	find "/proc/$1/fd" -mindepth 1 -printf '%l\n' 2>/dev/null |
	    grep -c '^socket:'
}

# memfd_count PID
memfd_count()
{
	find "/proc/$1/fd" -mindepth 1 -printf '%l\n' 2>/dev/null |
	    grep -c '^/memfd:'
}
