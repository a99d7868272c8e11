#!/bin/bash
# run.sh: epmdx against stock epmd and a floor server, side by side.
#
#   bash tests/bench/run.sh          (make bench builds what it needs first)
#
# Three servers, each on its own free loopback port, in the same run:
#   epmdx   the daemon under test ($EPMDX, default $BUILD/epmdx)
#   stock   the reference epmd ($STOCK_EPMD, default /usr/bin/epmd)
#   floor   tests/bench/floor.c: accept, read a frame, write 'w',1, close
# Every rate scenario runs ROUNDS rounds, and in each round every target
# once, in an order rotated per round (A B C, B C A, ...), so that the
# noise of a shared machine falls on all of them alike; the table shows
# medians over rounds, and ratios as the median over rounds of each
# round's ratio.  "srv us/req" (the server's own CPU per request, from
# /proc/PID/stat) is the figure that noise moves least.  Load comes from
# tests/bench/loadgen.c (one connection per request, epoll, CONC requests
# in flight over THREADS loops), which shares the CPUs with the servers:
# the floor's rate is what client plus minimal server reach here.
#
# Scenarios: PORT_PLEASE2 with 0, 1000 and 10000 nodes registered; NAMES
# with 1000 nodes; registration churn; the most registrations held under
# RLIMIT_NOFILE; RSS per registration; exec -> first NAMES answer.
#
# Output: a table on stdout, build/bench.json, raw lines and logs under
# build/bench/.  Exit status 0 when the run completed (targets missed are
# reported, not failed), 1 when something could not be run.
#
# Environment:
#   BUILD         build directory (default build)
#   EPMDX         daemon under test (default $BUILD/epmdx)
#   STOCK_EPMD    reference epmd (default /usr/bin/epmd)
#   BENCH_ROUNDS  rounds per scenario (default 7)
#   BENCH_SECS    measured seconds per run (default 1.5; 0.3 s warm-up more)
#   BENCH_CONC    requests in flight (default 16: stock has about 19
#                 connections to spare with 1000 nodes registered)
#   BENCH_THREADS load generator loops (default 2, one per CPU here)
#   BENCH_REPORT  =1: only print the table and JSON again from the raw
#                 results of the last run

set -u
unset ERL_EPMD_ADDRESS ERL_EPMD_RELAXED_COMMAND_CHECK ERL_EPMD_PORT \
    NOTIFY_SOCKET LISTEN_FDS LISTEN_PID EPMDX_FDSTORE EPMDX_FDSTORE_STATE
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

BUILD=${BUILD:-build}
EPMDX=${EPMDX:-$BUILD/epmdx}
EPMDXCTL=${EPMDXCTL:-$(dirname "$EPMDX")/epmdxctl}
STOCK=${STOCK_EPMD:-/usr/bin/epmd}
LG=$BUILD/bench/loadgen
FLOOR=$BUILD/bench/floor
ROUNDS=${BENCH_ROUNDS:-7}
SECS=${BENCH_SECS:-1.5}
WARM=0.3
CONC=${BENCH_CONC:-16}
THREADS=${BENCH_THREADS:-2}
N_MID=1000			# nodes for the 1,000 scenarios
N_BIG=10000			# nodes for the 10,000 scenario
JSON=$BUILD/bench.json
DIR=$BUILD/bench
RAW=$DIR/results.txt
LOGS=$DIR/logs
TICK=$(getconf CLK_TCK)

for f in "$EPMDX" "$STOCK" "$LG" "$FLOOR"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing (make bench builds it)" >&2
		exit 1
	fi
done
mkdir -p "$LOGS"
if [ "${BENCH_REPORT:-0}" != 1 ]; then
	: > "$RAW"
	rm -f "$LOGS"/*
fi

# --- processes we start, and only those, are stopped on exit ---------

PIDS=""
cleanup()
{
	local p
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	PIDS=""
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# stop PID: TERM it, wait for it, forget it.
stop()
{
	local p rest=""
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for p in $PIDS; do
		[ "$p" = "$1" ] || rest="$rest $p"
	done
	PIDS=$rest
}

die()
{
	echo "bench: $*" >&2
	exit 1
}

# --- servers ----------------------------------------------------------

# Target names, and per target: its port and pid.
TARGETS="floor epmdx stock"
declare -A PORT PID

# start TARGET: a fresh server of that kind on a fresh free port.
start()
{
	local t=$1 port
	port=$("$LG" freeport) || die "no free port"
	case $t in
	epmdx)	"$EPMDX" -port "$port" -address 127.0.0.1 \
		    >>"$LOGS/epmdx.log" 2>&1 &;;
	stock)	"$STOCK" -port "$port" -address 127.0.0.1 \
		    >>"$LOGS/stock.log" 2>&1 &;;
	floor)	"$FLOOR" -port "$port" >>"$LOGS/floor.log" 2>&1 &;;
	esac
	PID[$t]=$!
	PORT[$t]=$port
	PIDS="$PIDS $!"
	"$LG" wait -p "$port" -T 10000 >/dev/null ||
	    die "$t did not answer on port $port"
}

# ticks PID: user+system CPU ticks of a process so far.
ticks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# cpustat: total and idle (idle + iowait) jiffies of the whole machine.
cpustat()
{
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i
		print t, $5 + $6; exit }' /proc/stat
}

# rss PID: VmRSS in kB.
rss()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# kv KEY LINE: the value of key=value in a loadgen line.
kv()
{
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | tr -d '"' |
	    head -n 1
}

# registrar TARGET COUNT: hold COUNT registrations on TARGET in the
# background; sets REG_PID and REG_LINE (the "ready ..." line).
registrar()
{
	local t=$1 n=$2 out=$LOGS/register-$1-$2.out i
	: > "$out"
	"$LG" register -p "${PORT[$t]}" -n "$n" -c 64 -s 2 -L 600 \
	    >"$out" 2>>"$LOGS/loadgen.log" &
	REG_PID=$!
	PIDS="$PIDS $REG_PID"
	for i in $(seq 600); do
		grep -q '^ready' "$out" && break
		sleep 0.05
	done
	REG_LINE=$(grep '^ready' "$out") || die "registrar on $t not ready"
	echo "$t register $n 0 $REG_LINE" >> "$RAW"
}

# settle TARGET: until NAMES shows no node (registrations dropped).
settle()
{
	local i line
	for i in $(seq 100); do
		line=$("$LG" names -p "${PORT[$1]}" -k 0 -c 1 -d 0.05 -w 0)
		[ "$(kv badreply "$line")" = 0 ] && [ "$(kv requests "$line")" \
		    != 0 ] && return 0
		sleep 0.05
	done
	die "$1 still lists nodes"
}

# --- rate scenarios ---------------------------------------------------

# measure SCENARIO ROUND TARGET MODE ARGS...: one run, one raw line.
measure()
{
	local sc=$1 r=$2 t=$3 mode=$4 a b line m0 m1 busy
	shift 4
	m0=$(cpustat)
	a=$(ticks "${PID[$t]}")
	line=$("$LG" "$mode" -p "${PORT[$t]}" -c "$CONC" -j "$THREADS" \
	    -d "$SECS" -w "$WARM" "$@" 2>>"$LOGS/loadgen.log")
	b=$(ticks "${PID[$t]}")
	m1=$(cpustat)
	# The whole machine's busy share over the run (others' load too).
	busy=$(echo "$m0 $m1" | awk '{ t = $3 - $1
		printf "%.3f", (t > 0) ? 1 - ($4 - $2) / t : 0 }')
	echo "$t $sc $r srv_ticks=$((b - a)) mach_busy=$busy $line" >> "$RAW"
	if [ "$(kv errors "$line")$(kv timeouts "$line")$(kv badreply \
	    "$line")" != 000 ]; then
		echo "bench: $sc $t round $r: $(kv why "$line")" \
		    "errors=$(kv errors "$line") timeouts=$(kv timeouts \
		    "$line") badreply=$(kv badreply "$line")" >&2
	fi
}

# rounds SCENARIO "TARGETS" MODE ARGS...: ROUNDS rounds, rotated order.
rounds()
{
	local sc=$1 ts=$2 mode=$3 r i n order
	shift 3
	read -r -a order <<< "$ts"
	n=${#order[@]}
	printf 'bench: %-10s' "$sc" >&2
	for r in $(seq "$ROUNDS"); do
		for i in $(seq 0 $((n - 1))); do
			measure "$sc" "$r" "${order[$(((i + r - 1) % n))]}" \
			    "$mode" "$@"
		done
		printf '.' >&2
	done
	echo >&2
}

measure_all()
{
	T0=$(date +%s)
	echo "meta date 0 date=$(date -u '+%Y-%m-%dT%H:%M:%SZ')" >> "$RAW"
	echo "bench: $ROUNDS rounds x ${SECS}s, $CONC in flight," \
	    "$THREADS loadgen threads; raw results in $RAW" >&2

	for t in $TARGETS; do
		start "$t"
	done

	rounds port2_0 "floor epmdx stock" port2 -k 0

	registrar epmdx $N_MID; REG_E=$REG_PID
	registrar stock $N_MID; REG_S=$REG_PID
	rounds port2_1000 "floor epmdx stock" port2 -k $N_MID
	rounds names_1000 "epmdx stock" names -k $N_MID
	stop "$REG_E"; stop "$REG_S"
	settle epmdx; settle stock

	registrar epmdx $N_BIG; REG_E=$REG_PID
	# Stock is asked too, so that the table says what it did instead.
	registrar stock $N_BIG; REG_S=$REG_PID
	STOCK_BIG=$(kv registered "$REG_LINE")
	stop "$REG_S"
	rounds port2_10000 "floor epmdx" port2 -k $N_BIG
	stop "$REG_E"
	settle epmdx; settle stock

	rounds churn "epmdx stock" churn

	for t in $TARGETS; do
		stop "${PID[$t]}"
	done

	# Exec -> first NAMES answer.

	printf 'bench: %-10s' startup >&2
	for r in $(seq "$ROUNDS"); do
		for t in epmdx stock floor; do
			port=$("$LG" freeport) || die "no free port"
			case $t in
			epmdx)	cmd=("$EPMDX" -port "$port" \
				    -address 127.0.0.1);;
			stock)	cmd=("$STOCK" -port "$port" \
				    -address 127.0.0.1);;
			floor)	cmd=("$FLOOR" -port "$port");;
			esac
			line=$("$LG" startup -p "$port" -- "${cmd[@]}" \
			    2>>"$LOGS/$t.log")
			echo "$t startup $r $line" >> "$RAW"
		done
		printf '.' >&2
	done
	echo >&2

	# RSS per registration, on fresh daemons.

	printf 'bench: %-10s' rss >&2
	for t in epmdx stock; do
		n=$N_BIG
		[ "$t" = stock ] && n=$N_MID
		start "$t"
		before=$(rss "${PID[$t]}")
		registrar "$t" "$n"
		held=$(kv registered "$REG_LINE")
		after=$(rss "${PID[$t]}")
		echo "$t rss $n 0 before_kb=$before after_kb=$after" \
		    "held=$held" >> "$RAW"
		stop "$REG_PID"
		stop "${PID[$t]}"
		printf '.' >&2
	done
	echo >&2

	# The most registrations held, on fresh daemons.

	printf 'bench: %-10s' maxreg >&2
	NOFILE=$(ulimit -Hn)
	for t in epmdx stock; do
		start "$t"
		limit=$NOFILE
		# The daemon raises its soft limit to the hard one: ask it.
		if [ "$t" = epmdx ] && [ -x "$EPMDXCTL" ]; then
			l=$("$EPMDXCTL" --port "${PORT[$t]}" status \
			    2>/dev/null | sed -n 's/^nofile_limit[= ]*//p')
			[ -n "$l" ] && limit=$l
		fi
		line=$("$LG" maxreg -p "${PORT[$t]}" -c 64 -j 2 -s 4 \
		    2>>"$LOGS/loadgen.log")
		echo "$t maxreg 0 nofile_limit=$limit $line" >> "$RAW"
		# It must serve again once the registrations are gone.
		"$LG" wait -p "${PORT[$t]}" -T 10000 >/dev/null ||
		    echo "bench: $t does not answer after maxreg" >&2
		stop "${PID[$t]}"
		printf '.' >&2
	done
	echo >&2
	echo "meta run 0 elapsed=$(( $(date +%s) - T0 ))" >> "$RAW"
}

# --- report -----------------------------------------------------------

[ "${BENCH_REPORT:-0}" = 1 ] || measure_all
NOFILE=$(ulimit -Hn)
CPUS=$(nproc)
MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
HOST=$(uname -n)
DATE=$(sed -n 's/^meta date 0 date=//p' "$RAW")
EPMDX_VER=$("$EPMDX" -V 2>/dev/null | head -n 1)
STOCK_VER=$(dpkg-query -W -f '${Version}' erlang-base 2>/dev/null)

awk -v rounds="$ROUNDS" -v secs="$SECS" -v warm="$WARM" -v conc="$CONC" \
    -v threads="$THREADS" -v tick="$TICK" -v nofile="$NOFILE" \
    -v cpus="$CPUS" -v model="$MODEL" -v host="$HOST" -v date="$DATE" \
    -v n_big="$N_BIG" -v n_mid="$N_MID" -v json="$JSON" \
    -v epmdx_ver="$EPMDX_VER" -v stock_ver="$STOCK_VER" '
function kv(k,    i, a) {
	for (i = 4; i <= NF; i++)
		if (index($i, k "=") == 1) {
			a = substr($i, length(k) + 2)
			gsub(/"/, "", a)
			return a
		}
	return ""
}
# median of the space-separated numbers in s
function median(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	if (n == 0)
		return ""
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v) { vals[key] = vals[key] (vals[key] == "" ? "" : " ") v }
function jlist(s,    a, n, i, o) {
	n = split(s, a, " ")
	o = ""
	for (i = 1; i <= n; i++)
		o = o (i > 1 ? ", " : "") a[i]
	return "[" o "]"
}
function human_bytes(b) {
	return b >= 10240 ? sprintf("%.1f KiB", b / 1024) : sprintf("%.0f B", b)
}
{
	t = $1; sc = $2; r = $3
	if (sc ~ /^(port2|names|churn)/) {
		rate = kv("rate") + 0
		k = sc SUBSEP t
		add(k SUBSEP "rate", rate)
		add(k SUBSEP "p50", kv("p50_us"))
		add(k SUBSEP "p99", kv("p99_us"))
		add(k SUBSEP "lgcpu", kv("cpu"))
		add(k SUBSEP "busy", kv("mach_busy"))
		srv = kv("srv_ticks") / tick / (secs + warm)
		add(k SUBSEP "srvcpu", srv)
		if (rate > 0)
			add(k SUBSEP "srvus", srv * 1e6 / rate)
		bad[k] += kv("errors") + kv("timeouts") + kv("badreply")
		allbusy = allbusy " " kv("mach_busy")
		round_rate[sc, t, r] = rate
		seen[k] = 1
	} else if (sc == "startup") {
		if (kv("ok") == 1)
			add("startup" SUBSEP t, kv("startup_us"))
	} else if (sc == "rss") {
		rss_n[t] = kv("held"); rss_b[t] = kv("before_kb")
		rss_a[t] = kv("after_kb")
	} else if (sc == "register") {
		if (t == "stock" && r == n_big)
			stock_big = kv("registered")
	} else if (sc == "run") {
		elapsed = kv("elapsed")
	} else if (sc == "maxreg") {
		max_held[t] = kv("held"); max_lim[t] = kv("nofile_limit")
		max_why[t] = kv("why")
	}
}
function med(sc, t, what) { return median(vals[sc, t, what]) }
function row(label, sc, t, ref, refname,    r, o) {
	r = med(sc, t, "rate")
	o = sprintf("%-24s %-6s %9.0f %8.0f %8.0f %8.1f %5.0f%%", label, t, r,
	    med(sc, t, "p50"), med(sc, t, "p99"), med(sc, t, "srvus"),
	    100 * med(sc, t, "srvcpu"))
	if (ref != "" && med(sc, ref, "rate") > 0)
		o = o sprintf("   %5.2fx %s", ratio(sc, t, ref), refname)
	if (bad[sc, t] > 0)
		o = o sprintf("   (%d failed)", bad[sc, t])
	print o
}
# The median over rounds of rate(a)/rate(b): each round runs the
# targets back to back, so each ratio pairs runs close in time.
function ratio(sc, a, b,    r, l) {
	l = ""
	for (r = 1; r <= rounds; r++)
		if (round_rate[sc, b, r] > 0)
			l = l " " round_rate[sc, a, r] / round_rate[sc, b, r]
	return l == "" ? 0 : median(l)
}
function verdict(ok) { return ok ? "pass" : "MISS" }
# The JSON ratio fields of a rate entry: PORT2 against the floor, the
# rest against stock.
function jratio(sc, t,    ref) {
	ref = sc ~ /^port2/ ? "floor" : "stock"
	if (t == ref || !((sc, ref) in seen))
		return ""
	return sprintf(", \"vs_%s\": %.3f", ref, ratio(sc, t, ref))
}
END {
	printf "epmdx bench %s  %s  %d x %s  nofile %d\n", date, host, cpus,
	    model, nofile
	printf "%s vs stock epmd %s vs floor; %d rounds x %ss (+%ss warm-up), " \
	    "%d in flight, %d loadgen threads, %ds total\n\n", epmdx_ver,
	    stock_ver, rounds, secs, warm, conc, threads, elapsed
	printf "%-24s %-6s %9s %8s %8s %8s %6s   %s\n", "scenario", "target",
	    "req/s", "p50 us", "p99 us", "srv us", "srv", "ratio"
	printf "%-24s %-6s %9s %8s %8s %8s %6s\n", "", "", "median", "",
	    "", "/req", "cpu"
	row("PORT2, 0 nodes", "port2_0", "floor")
	row("", "port2_0", "epmdx", "floor", "floor")
	row("", "port2_0", "stock", "floor", "floor")
	row("PORT2, " n_mid " nodes", "port2_1000", "floor")
	row("", "port2_1000", "epmdx", "floor", "floor")
	row("", "port2_1000", "stock", "floor", "floor")
	row("PORT2, " n_big " nodes", "port2_10000", "floor")
	row("", "port2_10000", "epmdx", "floor", "floor")
	stock_max = max_held["stock"] != "" ? max_held["stock"] : stock_big
	printf "%-24s %-6s cannot hold %d (max ~%d)\n", "", "stock", n_big,
	    stock_max
	row("NAMES, " n_mid " nodes", "names_1000", "epmdx", "stock", "stock")
	row("", "names_1000", "stock")
	row("churn (register+close)", "churn", "epmdx", "stock", "stock")
	row("", "churn", "stock")
	printf "\n%-24s %-6s %s\n", "most registrations", "epmdx",
	    sprintf("%d = %.1f%% of RLIMIT_NOFILE %d", max_held["epmdx"],
	    100 * max_held["epmdx"] / max_lim["epmdx"], max_lim["epmdx"])
	printf "%-24s %-6s %d (FD_SETSIZE-bound, whatever the limit)\n", "",
	    "stock", max_held["stock"]
	for (i = 1; i <= 2; i++) {
		t = i == 1 ? "epmdx" : "stock"
		per[t] = rss_n[t] > 0 ? (rss_a[t] - rss_b[t]) * 1024 / rss_n[t] : 0
		printf "%-24s %-6s %s (VmRSS %d -> %d kB, %d nodes)\n",
		    i == 1 ? "RSS per registration" : "", t,
		    human_bytes(per[t]), rss_b[t], rss_a[t], rss_n[t]
	}
	for (i = 1; i <= 3; i++) {
		t = i == 1 ? "epmdx" : i == 2 ? "stock" : "floor"
		printf "%-24s %-6s %.2f ms\n", i == 1 ? "exec -> first NAMES" : "",
		    t, median(vals["startup", t]) / 1000
	}

	r_port = ratio("port2_10000", "epmdx", "floor")
	r_stock = ratio("port2_1000", "stock", "floor")
	r_names = ratio("names_1000", "epmdx", "stock")
	p_held = max_lim["epmdx"] > 0 ? max_held["epmdx"] / max_lim["epmdx"] : 0
	ok_port = (r_port >= 0.9) ? "true" : "false"
	ok_names = (r_names >= 5) ? "true" : "false"
	ok_held = (p_held >= 0.95) ? "true" : "false"
	ok_rss = (per["epmdx"] > 0 && per["epmdx"] <= 1024) ? "true" : "false"
	print "\ntargets (ratios: median over rounds of each round ratio)"
	printf "  PORT2 10000 nodes, epmdx/floor >= 0.90      %6.2f   %s" \
	    "   (stock, 1000 nodes: %.2f)\n", r_port, verdict(ok_port == "true"),
	    r_stock
	printf "  NAMES 1000 nodes, epmdx/stock >= 5          %6.1f   %s\n",
	    r_names, verdict(ok_names == "true")
	printf "  registrations held >= 95%% of nofile        %5.1f%%   %s\n",
	    100 * p_held, verdict(ok_held == "true")
	printf "  RSS per registration <= 1 KiB              %6.0f B %s\n",
	    per["epmdx"], verdict(ok_rss == "true")

	# Who was the bottleneck in the floor runs: the load generator
	# must not be, or the floor is only the load generator'\''s rate.
	# Server and loadgen figures exclude softirq time (most of TCP).
	lg = med("port2_0", "floor", "lgcpu")
	fl = med("port2_0", "floor", "srvcpu")
	busy = med("port2_0", "floor", "busy")
	printf "\nfloor runs (PORT2, 0 nodes): loadgen %.2f CPU, floor %.2f" \
	    " CPU, machine %.0f%% busy of %d CPUs: ", lg, fl, 100 * busy, cpus
	if (busy >= 0.9)
		print "machine-bound"
	else if (lg >= 0.9 * threads)
		print "LOADGEN-BOUND: the floor is the load generator'\''s limit"
	else if (fl >= 0.9)
		print "floor-server-bound"
	else
		print "latency-bound"
	printf "machine busy, median over every rate run: %.0f%% (our " \
	    "processes and anything else running)\n", 100 * median(allbusy)

	# JSON
	printf "{\n  \"date\": \"%s\",\n  \"host\": \"%s\",\n  \"cpus\": %d," \
	    "\n  \"cpu_model\": \"%s\",\n  \"nofile\": %d,\n" \
	    "  \"epmdx\": \"%s\",\n  \"stock\": \"%s\",\n" \
	    "  \"rounds\": %d,\n  \"secs\": %s,\n  \"warmup_secs\": %s,\n" \
	    "  \"in_flight\": %d,\n  \"loadgen_threads\": %d,\n" \
	    "  \"elapsed_secs\": %d,\n  \"rates\": [\n", date, host, cpus,
	    model, nofile, epmdx_ver, stock_ver, rounds, secs, warm, conc,
	    threads, elapsed > json
	n = split("port2_0 port2_1000 port2_10000 names_1000 churn", scs, " ")
	first = 1
	for (i = 1; i <= n; i++)
		for (j = 1; j <= 3; j++) {
			t = j == 1 ? "floor" : j == 2 ? "epmdx" : "stock"
			if (!((scs[i], t) in seen))
				continue
			printf "%s    {\"scenario\": \"%s\", \"target\": \"%s\", " \
			    "\"rate\": %s, \"p50_us\": %s, \"p99_us\": %s, " \
			    "\"server_us_per_req\": %.2f, \"server_cpu\": %.3f, " \
			    "\"loadgen_cpu\": %.3f, \"machine_busy\": %.3f, " \
			    "\"failed\": %d, \"round_rates\": %s%s}",
			    first ? "" : ",\n", scs[i],
			    t, med(scs[i], t, "rate"), med(scs[i], t, "p50"),
			    med(scs[i], t, "p99"), med(scs[i], t, "srvus"),
			    med(scs[i], t, "srvcpu"), med(scs[i], t, "lgcpu"),
			    med(scs[i], t, "busy"),
			    bad[scs[i], t], jlist(vals[scs[i], t, "rate"]),
			    jratio(scs[i], t) > json
			first = 0
		}
	stock_max = max_held["stock"] != "" ? max_held["stock"] : stock_big
	printf "\n  ],\n  \"port2_10000_stock\": \"cannot hold %d (max ~%d)\",\n",
	    n_big, stock_max > json
	printf "  \"max_registrations\": {\"epmdx\": %d, \"epmdx_nofile_limit\": " \
	    "%d, \"epmdx_pct\": %.2f, \"stock\": %d},\n", max_held["epmdx"],
	    max_lim["epmdx"], 100 * p_held, max_held["stock"] > json
	printf "  \"rss_per_registration_bytes\": {\"epmdx\": %.0f, " \
	    "\"epmdx_nodes\": %d, \"stock\": %.0f, \"stock_nodes\": %d},\n",
	    per["epmdx"], rss_n["epmdx"], per["stock"], rss_n["stock"] > json
	printf "  \"startup_us\": {\"epmdx\": %s, \"stock\": %s, \"floor\": %s},\n",
	    median(vals["startup", "epmdx"]), median(vals["startup", "stock"]),
	    median(vals["startup", "floor"]) > json
	printf "  \"targets\": [\n" \
	    "    {\"name\": \"port2_10000_vs_floor\", \"value\": %.3f, " \
	    "\"min\": 0.9, \"pass\": %s},\n" \
	    "    {\"name\": \"names_1000_vs_stock\", \"value\": %.2f, " \
	    "\"min\": 5, \"pass\": %s},\n" \
	    "    {\"name\": \"registrations_pct_nofile\", \"value\": %.2f, " \
	    "\"min\": 95, \"pass\": %s},\n" \
	    "    {\"name\": \"rss_bytes_per_registration\", \"value\": %.0f, " \
	    "\"max\": 1024, \"pass\": %s}\n  ],\n" \
	    "  \"stock_port2_1000_vs_floor\": %.3f\n}\n",
	    r_port, ok_port, r_names, ok_names, 100 * p_held, ok_held,
	    per["epmdx"], ok_rss, r_stock > json
}' "$RAW"
echo
echo "bench: wrote $JSON"
