# lib.sh: sourced (by bash) from every tests/e2e/NN-*.sh.
#
# Sets up, for one test:
#   EPMD        absolute path of the daemon binary under test
#               (E2E_EPMD from run.sh, else EPMD_UNDER_TEST, else EPMDX,
#               else build/epmdx relative to the repo root)
#   STOCK_EPMD  the reference epmd (default /usr/bin/epmd)
#   PORT        a free TCP port (see free_ports), also exported as
#               ERL_EPMD_PORT
#   NODE_HOST   the host part of -sname node names
# and, with tests/lib/common.sh's test_setup: TMP (a private temp dir
# under $TMPDIR, removed on exit), HOME ($TMP/home, so Erlang never touches
# the real home) and an EXIT trap that stops every pid given to track_pid
# (TERM, then KILL after a bounded wait) and removes $TMP.
#
# Helpers (each documented where defined; * in tests/lib/common.sh):
#   outcome     fail*, skip*, note*, epmdx_only, assert_eq*, assert_match*,
#               assert_contains*
#   waiting     wait_until*, now_ms*, file_lines_ge
#   limits      nofile_for
#   processes   track_pid*, alive*, dead*, kill_wait*
#   ports       free_port*, other_port
#   daemon      start_daemon*, stop_daemon*, wait_daemon*, daemon_ready*,
#               daemon_ok*, start_stock_daemon
#   wire        wire, names, names_has, names_lacks, register, creation_of,
#               hexof, hex16, hex32
#   CLI         epmd_cli, cli_run, cli_compare
#   Erlang      start_node, stop_node, node_log, erl_run, erl_eval

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
. "$E2E_DIR/../lib/common.sh"
test_setup e2e

STOCK_EPMD=${STOCK_EPMD:-/usr/bin/epmd}

if [ -n "${E2E_EPMD:-}" ]; then
	EPMD=$E2E_EPMD
elif [ -n "${EPMD_UNDER_TEST:-}" ]; then
	EPMD=$(resolve_bin "$EPMD_UNDER_TEST")
else
	EPMD=$(resolve_bin "${EPMDX:-build/epmdx}")
fi

# ---------------------------------------------------------------- basics

# is_stock_epmd: true if the binary under test is the reference epmd.
is_stock_epmd()
{
	local a b
	a=$(readlink -f "$EPMD" 2>/dev/null) || a=$EPMD
	b=$(readlink -f "$STOCK_EPMD" 2>/dev/null) || b=$STOCK_EPMD
	[ "$a" = "$b" ] && return 0
	case $a in
	/usr/lib/erlang/*/bin/epmd) return 0 ;;
	esac
	[ "$(basename "$a")" = epmd ] && cmp -s "$a" "$b" && return 0
	return 1
}

# epmdx_only: skip (77) when running against stock epmd (E2E_FORCE=1 runs
# the test anyway, for debugging the test itself).
epmdx_only()
{
	[ -n "${E2E_FORCE:-}" ] && return 0
	is_stock_epmd && skip "epmdx-only test; binary under test is stock epmd"
	return 0
}

PORT=$(free_port) || fail "no free port"
export ERL_EPMD_PORT=$PORT
NODE_HOST=$(hostname -s 2>/dev/null || uname -n)
NODE_HOST=${NODE_HOST%%.*}

# other_port: a free port different from $PORT.
other_port()
{
	local p
	while :; do
		p=$(free_port) || return 1
		[ "$p" != "$PORT" ] && break
	done
	printf '%s\n' "$p"
}

# ------------------------------------------------------------------ wire

# wire ARGS...: run wire.py against $PORT (a later -p overrides).
wire()
{
	"$PYTHON" "$WIRE" -p "$PORT" "$@"
}

# names [PORT]: NAMES reply as "port N" + the lines.
names()
{
	"$PYTHON" "$WIRE" -p "${1:-$PORT}" --names --timeout 5
}

# names_has NAME [PORT]: NAME is listed by NAMES.
names_has()
{
	names "${2:-$PORT}" 2>/dev/null | grep -q "^name $1 at port [0-9]*\$"
}

# names_lacks NAME [PORT]: NAMES answers and does not list NAME.
names_lacks()
{
	local out
	out=$(names "${2:-$PORT}" 2>/dev/null) || return 1
	! printf '%s\n' "$out" | grep -q "^name $1 at port "
}

# creation_of HEX: the creation in an ALIVE2 reply (v or y form), decimal.
creation_of()
{
	case $1 in
	76*) printf '%d\n' "0x${1:4:8}" ;;
	79*) printf '%d\n' "0x${1:4:4}" ;;
	*) return 1 ;;
	esac
}

# nofile_for N: raise the soft RLIMIT_NOFILE to the hard one (for the
# daemon and wire.py), or skip when that is too low for N connections.
nofile_for()
{
	local hard
	hard=$(ulimit -H -n)
	[ "$hard" = unlimited ] || [ "$hard" -gt $(($1 + 100)) ] ||
	    skip "RLIMIT_NOFILE hard limit $hard is too low for $1 connections"
	ulimit -S -n "$hard"
}

# file_lines_ge FILE N: FILE has at least N lines.
file_lines_ge()
{
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# register NAME NODEPORT [wire args...]: hold a registration in the
# background for up to 100 s (wire.py output in REG_OUT, its pid in REG_PID,
# tracked), wait for the reply and put it (hex) in REG_REPLY.
REG_N=0
register()
{
	local name=$1 nport=$2
	shift 2
	REG_N=$((REG_N + 1))
	REG_OUT="$TMP/reg-$REG_N.out"
	# A plain command, not the wire function, so $! is python itself.
	"$PYTHON" "$WIRE" -p "$PORT" --register "$name" "$nport" \
	    --timeout 100 "$@" >"$REG_OUT" 2>&1 &
	REG_PID=$!
	track_pid "$REG_PID"
	wait_until 10 file_lines_ge "$REG_OUT" 1 ||
	    fail "no ALIVE2 reply for $name within 10 s"
	REG_REPLY=$(head -n 1 "$REG_OUT")
}

# ----------------------------------------------------------------- daemon

# epmd_cli BIN ARGS...: run a client command bounded to 15 s; stdout in
# $TMP/cli.out, stderr in $TMP/cli.err, exit code in CLI_RC.
epmd_cli()
{
	local bin=$1
	shift
	timeout --foreground -k 2 15 "$bin" "$@" >"$TMP/cli.out" \
	    2>"$TMP/cli.err" </dev/null
	CLI_RC=$?
}

# ----------------------------------------------------------------- erlang

COOKIE=epmdxtest

# node_log NAME: the log file of a node started by start_node.
node_log()
{
	printf '%s/node-%s.log\n' "$TMP" "$1"
}

# start_node NAME [ERL ARGS...]: start a real Erlang node NAME@$NODE_HOST
# in the background against the daemon on $PORT; wait (20 s) until NAMES
# lists it. Pid in NODE_PID (and NODE_PID_<NAME> when NAME is a valid
# shell identifier).
start_node()
{
	local name=$1
	shift
	ERL_EPMD_PORT=$PORT erl -sname "$name" -start_epmd false -noshell \
	    -setcookie "$COOKIE" "$@" </dev/null >"$(node_log "$name")" 2>&1 &
	NODE_PID=$!
	track_pid "$NODE_PID"
	case $name in
	*[!A-Za-z0-9_]*) ;;
	*) eval "NODE_PID_$name=$NODE_PID" ;;
	esac
	local end=$(( $(now_ms) + 20000 ))
	while ! names_has "$name"; do
		if ! alive "$NODE_PID"; then
			cat "$(node_log "$name")" >&2
			fail "node $name exited before registering"
		fi
		[ "$(now_ms)" -ge "$end" ] && {
			cat "$(node_log "$name")" >&2
			fail "node $name not registered after 20 s"
		}
		sleep 0.1
	done
}

# stop_node PID
stop_node()
{
	kill_wait "$1"
}

# erl_run EXPR [ERL ARGS...]: evaluate the Erlang expression sequence EXPR
# on a temporary hidden node (bounded to 40 s) and print io:format("~p~n")
# of its value. Exit 0, or 1 if EXPR raised (error on stderr).
erl_run()
{
	local expr=$1
	shift
	ERL_EPMD_PORT=$PORT timeout --foreground -k 5 40 erl \
	    -sname "t$$x$RANDOM" -hidden -start_epmd false -noshell \
	    -setcookie "$COOKIE" "$@" -eval "
	    try
		R = begin $expr end,
		io:format(\"~p~n\", [R]),
		halt(0)
	    catch C:E:S ->
		io:format(standard_error, \"erl_run: ~p:~p~n~p~n\", [C, E, S]),
		halt(1)
	    end." </dev/null
}

# erl_eval NODE EXPR: evaluate EXPR on the running node NODE@$NODE_HOST
# (via erpc from a temporary hidden node) and print its value.
erl_eval()
{
	erl_run "erpc:call('$1@$NODE_HOST', fun() -> $2 end, 20000)"
}

# ------------------------------------------------------------------ misc

# hexof STRING: lowercase hex of the bytes of STRING.
hexof()
{
	printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
	echo
}

# hex16 N / hex32 N: N as 4 / 8 hex digits (big-endian).
hex16()
{
	printf '%04x\n' "$1"
}
hex32()
{
	printf '%08x\n' "$1"
}

# ------------------------------------------------------- side-by-side CLI

# start_stock_daemon [ARGS...]: start $STOCK_EPMD -port $SPORT ARGS, where
# SPORT is another free port; pid in STOCK_PID, output in $TMP/stock.log.
start_stock_daemon()
{
	[ -x "$STOCK_EPMD" ] || skip "reference epmd not installed: $STOCK_EPMD"
	SPORT=$(other_port) || fail "no second free port"
	"$STOCK_EPMD" -port "$SPORT" "$@" >>"$TMP/stock.log" 2>&1 </dev/null &
	STOCK_PID=$!
	track_pid "$STOCK_PID"
	wait_daemon "$SPORT" "$STOCK_PID" "$TMP/stock.log"
}

# cli_run BIN PORT OUTPREFIX ARGS...: run BIN ARGS (every @PORT@ replaced by
# PORT) with ERL_EPMD_PORT=PORT, bounded to 15 s; writes OUTPREFIX.out,
# .err (with PORT replaced by the word PORT) and .rc.
cli_run()
{
	local bin=$1 port=$2 pfx=$3 a args=()
	shift 3
	for a in "$@"; do
		args+=("${a//@PORT@/$port}")
	done
	ERL_EPMD_PORT=$port timeout --foreground -k 2 15 "$bin" "${args[@]}" \
	    >"$pfx.raw.out" 2>"$pfx.raw.err" </dev/null
	echo $? >"$pfx.rc"
	sed "s/\\b$port\\b/PORT/g" "$pfx.raw.out" >"$pfx.out"
	sed "s/\\b$port\\b/PORT/g" "$pfx.raw.err" >"$pfx.err"
}

# cli_compare ARGS...: run the client command ARGS with the stock epmd
# against $SPORT and with the binary under test against $PORT (@PORT@ in
# ARGS becomes the respective port, and so does ERL_EPMD_PORT); fail unless
# stdout, stderr and exit code are identical once each port number is
# replaced by "PORT". Afterwards CLI_OUT/CLI_ERR name the files holding the
# tested binary's normalised output and CLI_RC its exit code.
# With CLI_NORMALISE set to a sed script, it is applied to both outputs too.
CLI_N=0
cli_compare()
{
	local s o f
	CLI_N=$((CLI_N + 1))
	s="$TMP/cli$CLI_N.stock"
	o="$TMP/cli$CLI_N.test"
	cli_run "$STOCK_EPMD" "${SPORT:-$PORT}" "$s" "$@"
	# The binary under test runs under the name epmd: the drop-in claim.
	local bin=$EPMD
	if [ "$(basename "$EPMD")" != epmd ]; then
		mkdir -p "$TMP/dropin"
		ln -sf "$(realpath "$EPMD")" "$TMP/dropin/epmd"
		bin=$TMP/dropin/epmd
	fi
	cli_run "$bin" "$PORT" "$o" "$@"
	if [ -n "${CLI_NORMALISE:-}" ]; then
		for f in "$s.out" "$s.err" "$o.out" "$o.err"; do
			sed -E -i "$CLI_NORMALISE" "$f"
		done
	fi
	for f in out err rc; do
		if ! cmp -s "$s.$f" "$o.$f"; then
			echo "epmd $* : std$f differs (stock vs under test):" >&2
			diff <(cat -A "$s.$f") <(cat -A "$o.$f") >&2
			fail "CLI '$*': $f differs from stock"
		fi
	done
	CLI_OUT="$o.out"
	CLI_ERR="$o.err"
	CLI_RC=$(cat "$o.rc")
}
