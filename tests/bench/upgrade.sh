#!/bin/bash
# upgrade.sh: how long a PORT_PLEASE2 waits while the port mapper is
# replaced, epmdx (live upgrade) against stock epmd (restart).
#
#   sh tests/bench/upgrade.sh        (or bash; run by `make bench` too)
#
# epmdx: 10,000 registrations held by one client (tests/upgrade/epmdcl.py
# hold, RLIMIT_NOFILE raised to the hard limit), a lookup client looping
# PORT_PLEASE2 over every name in turn (each on a new connection, 2 s
# limit, reply compared byte for byte, latency of every request kept),
# and `epmdxctl upgrade` run UPGRADES times, 2 s apart.  For each upgrade
# the window is [command start, command end + 0.5 s]; reported: the
# longest wait and the p99 of the lookups under way in any window, and the
# failed lookups (expected: none).
#
# stock: 900 registrations (stock serves about a thousand descriptors)
# from a client that behaves like OTP 24+ nodes: on EOF from epmd each
# node registers again 2 s later, retrying every 2 s.  The same lookup
# client runs while stock epmd is killed and started again at once.
# Reported: the longest time a client retrying one name waits for an
# answer (from its first failed lookup to the end of the next good one),
# the p99 and failures of lookups from the kill until every name is back,
# and how long that took.
#
# Output: a table on stdout and $BUILD/bench-upgrade.json.  Exit 0 when
# the run completed, 1 when something could not be run.
#
# Environment:
#   BUILD            build directory (default build)
#   EPMDX            daemon under test (default $BUILD/epmdx); epmdxctl is
#                    taken from the same directory
#   STOCK_EPMD       reference epmd (default /usr/bin/epmd; missing: the
#                    stock rows are skipped)
#   BENCH_UPGRADE_N  registrations for epmdx (default 10000)
#   BENCH_STOCK_N    registrations for stock (default 900)
#   BENCH_UPGRADES   upgrades in the epmdx run (default 3)

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
unset ERL_EPMD_ADDRESS ERL_EPMD_RELAXED_COMMAND_CHECK ERL_EPMD_PORT \
    NOTIFY_SOCKET LISTEN_FDS LISTEN_PID EPMDX_HANDOVER_FD \
    EPMDX_HANDOVER_LISTEN
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

BUILD=${BUILD:-build}
EPMDX=${EPMDX:-$BUILD/epmdx}
EPMDXCTL=$(dirname "$EPMDX")/epmdxctl
STOCK=${STOCK_EPMD:-/usr/bin/epmd}
N=${BENCH_UPGRADE_N:-10000}
NSTOCK=${BENCH_STOCK_N:-900}
UPGRADES=${BENCH_UPGRADES:-3}
JSON=$BUILD/bench-upgrade.json
CL=$root/tests/upgrade/epmdcl.py
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

for f in "$EPMDX" "$EPMDXCTL"; do
	[ -x "$f" ] || { echo "bench-upgrade: $f missing (make)" >&2; exit 1; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/epmdx-bench-upgrade.XXXXXX") || exit 1

# --- processes we start, and only those, are stopped on exit ---------
PIDS=""
track() { PIDS="$1 $PIDS"; }
alive() { kill -0 "$1" 2>/dev/null; }
# stop PID: TERM, up to 5 s, then KILL.
stop()
{
	local k
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null
	for k in $(seq 50); do
		alive "$1" || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
}
cleanup()
{
	local p
	for p in $PIDS; do
		stop "$p"
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "bench-upgrade: $*" >&2; exit 1; }

# wait_for SECS CMD...: poll CMD every 0.05 s, at most SECS seconds.
wait_for()
{
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.05
	done
}

free_port()
{
	"$PY" -c '
import random, socket
for _ in range(200):
    p = random.randint(20000, 60000)
    try:
        a = socket.socket(); a.bind(("0.0.0.0", p)); a.close()
        b = socket.socket(socket.AF_INET6)
        b.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        b.bind(("::", p)); b.close()
        print(p); break
    except OSError:
        pass'
}

# names_count PORT: how many names NAMES lists (-1 if no answer).
names_count()
{
	local hex
	hex=$("$PY" "$CL" request -p "$1" --timeout 5 00016e 2>/dev/null) ||
	    { echo -1; return; }
	printf '%s' "$hex" | "$PY" -c '
import sys
b = bytes.fromhex(sys.stdin.read().strip())
print(b[4:].count(b"\nname ") + (1 if b[4:].startswith(b"name ") else 0))'
}
names_at_least() { [ "$(names_count "$1")" -ge "$2" ]; }

# holder PORT N PREFIX [ARGS]: hold N registrations; pid in HPID.
holder()
{
	local port=$1 n=$2 pfx=$3
	shift 3
	mkfifo "$TMP/$pfx.in"
	"$PY" "$CL" hold -p "$port" -n "$n" --prefix "$pfx" --lifetime 600 \
	    "$@" <"$TMP/$pfx.in" >"$TMP/$pfx.hold" 2>"$TMP/$pfx.hold.err" &
	HPID=$!
	track "$HPID"
	# Keep the command pipe open (fd 8/9) so the holder waits for us.
	if [ "$pfx" = n ]; then exec 8>"$TMP/$pfx.in"; else exec 9>"$TMP/$pfx.in"; fi
	wait_for 120 grep -q '^registered=' "$TMP/$pfx.hold" ||
	    die "holder $pfx: no registrations after 120 s"
	grep -q "^registered=$n failed=0" "$TMP/$pfx.hold" ||
	    die "holder $pfx: $(head -n 1 "$TMP/$pfx.hold"); $(tail -n 3 "$TMP/$pfx.hold.err")"
}

# lookups PORT N PREFIX: the lookup client (round robin); pid in LPID.
lookups()
{
	"$PY" "$CL" hammer -p "$1" -n "$2" --prefix "$3" --rr --names-pct 0 \
	    --threads 2 --timeout 2 --stop "$TMP/$3.stop" --duration 300 \
	    --log "$TMP/$3.lookups" >"$TMP/$3.hammer" 2>&1 &
	LPID=$!
	track "$LPID"
	wait_for 10 grep -q '^started' "$TMP/$3.hammer" ||
	    die "lookup client $3 did not start"
}

# stop_lookups PREFIX
stop_lookups()
{
	touch "$TMP/$1.stop"
	wait_for 15 eval '! alive $LPID' || die "lookup client did not stop"
}

now() { "$PY" -c 'import time; print("%.6f" % time.time())'; }

hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((N + 200)) ]; then
	echo "bench-upgrade: RLIMIT_NOFILE hard limit $hard: $((hard - 200)) registrations, not $N" >&2
	N=$((hard - 200))
fi

# ---------------------------------------------------------------- epmdx
P=$(free_port) || die "no free port"
"$EPMDX" -port "$P" >"$TMP/epmdx.log" 2>&1 </dev/null &
XPID=$!
track "$XPID"
wait_for 10 names_at_least "$P" 0 || die "epmdx did not start"
holder "$P" "$N" n
lookups "$P" "$N" n
sleep 2
WINDOWS=""
UPG_MS=""
for k in $(seq "$UPGRADES"); do
	t0=$(now)
	timeout 60 "$EPMDXCTL" --port "$P" upgrade >"$TMP/ctl.out" 2>&1 ||
	    die "upgrade $k: $(cat "$TMP/ctl.out")"
	t1=$(now)
	grep -q "^upgraded: pid $XPID\\b" "$TMP/ctl.out" ||
	    die "upgrade $k: $(cat "$TMP/ctl.out")"
	WINDOWS="$WINDOWS $t0:$t1"
	sleep 2
done
stop_lookups n
alive "$XPID" || die "epmdx died"
[ "$(names_count "$P")" = "$N" ] || die "epmdx lost registrations"
stop "$XPID"
stop "$HPID"

# ---------------------------------------------------------------- stock
HAVE_STOCK=0
if [ -x "$STOCK" ]; then
	HAVE_STOCK=1
	SP=$(free_port) || die "no free port"
	"$STOCK" -port "$SP" >"$TMP/stock.log" 2>&1 </dev/null &
	SPID=$!
	track "$SPID"
	wait_for 10 names_at_least "$SP" 0 || die "stock epmd did not start"
	holder "$SP" "$NSTOCK" s --reconnect 2
	lookups "$SP" "$NSTOCK" s
	sleep 2
	T_KILL=$(now)
	{ kill -KILL "$SPID"; wait "$SPID"; } 2>/dev/null
	"$STOCK" -port "$SP" >>"$TMP/stock.log" 2>&1 </dev/null &
	SPID=$!
	track "$SPID"
	T_START=$(now)
	wait_for 60 names_at_least "$SP" "$NSTOCK" ||
	    die "stock: names not all back after 60 s"
	T_BACK=$(now)
	sleep 2
	stop_lookups s
	# When each node saw EOF and registered again, and how often it
	# found no epmd yet.
	echo "events $TMP/s.events" >&9
	wait_for 10 grep -q '^ok ' "$TMP/s.hold" || die "holder: no events"
	stop "$SPID"
	stop "$HPID"
fi

# ---------------------------------------------------------------- report
"$PY" - "$TMP" "$JSON" "$N" "$NSTOCK" "$HAVE_STOCK" "$WINDOWS" \
    "${T_KILL:-0}" "${T_START:-0}" "${T_BACK:-0}" <<'EOF'
import json, sys
tmp, out, n, nstock, have_stock, windows = sys.argv[1:7]
t_kill, t_start, t_back = map(float, sys.argv[7:10])


def load(path):
    recs = []
    with open(path) as f:
        for line in f:
            t0, t1, kind, i, ok = line.split()
            recs.append((float(t0), float(t1), int(i), ok == "1"))
    return recs


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else 0.0


def longest_wait(recs):
    first_fail, longest = {}, 0.0
    for t0, t1, i, ok in sorted(recs, key=lambda r: r[1]):
        if not ok:
            first_fail.setdefault(i, t0)
            continue
        longest = max(longest, t1 - first_fail.pop(i, t0))
    end = max((r[1] for r in recs), default=0.0)
    for start in first_fail.values():
        longest = max(longest, end - start)
    return longest, len(first_fail)


res = {}
x = load(tmp + "/n.lookups")
wins = [tuple(map(float, w.split(":"))) for w in windows.split()]
under = [r for r in x if any(r[0] <= b + 0.5 and r[1] >= a for a, b in wins)]
outside = [r[1] - r[0] for r in x if r not in under]
lw, _ = longest_wait(x)
res["epmdx"] = {
    "registrations": int(n), "upgrades": len(wins),
    "upgrade_cmd_ms": [round((b - a) * 1000, 1) for a, b in wins],
    "lookups": len(x), "failed": sum(1 for r in x if not r[3]),
    "window_lookups": len(under),
    "window_failed": sum(1 for r in under if not r[3]),
    "max_wait_ms": round(lw * 1000, 1),
    "window_max_ms": round(max((r[1] - r[0] for r in under), default=0) * 1000, 1),
    "window_p99_ms": round(pct([r[1] - r[0] for r in under], 0.99) * 1000, 1),
    "steady_p99_ms": round(pct(outside, 0.99) * 1000, 2),
}
if have_stock == "1":
    s = load(tmp + "/s.lookups")
    win = [r for r in s if r[1] >= t_kill and r[0] <= t_back]
    lw, never = longest_wait(s)
    res["stock"] = {
        "registrations": int(nstock), "reregister_after_s": 2,
        "lookups": len(s), "failed": sum(1 for r in s if not r[3]),
        "window_lookups": len(win),
        "window_failed": sum(1 for r in win if not r[3]),
        "max_wait_ms": round(lw * 1000, 1),
        "window_max_ms": round(max((r[1] - r[0] for r in win), default=0) * 1000, 1),
        "window_p99_ms": round(pct([r[1] - r[0] for r in win], 0.99) * 1000, 1),
        "restart_ms": round((t_start - t_kill) * 1000, 1),
        "all_back_ms": round((t_back - t_kill) * 1000, 1),
        "never_answered": never,
    }
    ev = {"eof": [], "registered": [], "retry": []}
    with open(tmp + "/s.events") as f:
        for line in f:
            t, i, what = line.split()
            ev[what].append(float(t))
    if ev["registered"]:
        res["stock"]["reregistered_first_ms"] = round(
            (min(ev["registered"]) - t_kill) * 1000, 1)
        res["stock"]["reregistered_last_ms"] = round(
            (max(ev["registered"]) - t_kill) * 1000, 1)
    res["stock"]["reregistrations"] = len(ev["registered"])
    res["stock"]["retries"] = len(ev["retry"])
with open(out, "w") as f:
    json.dump(res, f, indent=1)
    f.write("\n")

print("Port mapper replaced under load: how long a PORT_PLEASE2 waits")
print("%-34s %10s %10s %9s %10s %11s" % ("", "regs", "max wait", "p99",
      "failed", "names back"))
e = res["epmdx"]
print("%-34s %10d %8.0f ms %6.1f ms %10s %11s" % (
    "epmdx: epmdxctl upgrade (x%d)" % e["upgrades"], e["registrations"],
    e["max_wait_ms"], e["window_p99_ms"],
    "%d/%d" % (e["window_failed"], e["window_lookups"]), "never gone"))
if "stock" in res:
    s = res["stock"]
    print("%-34s %10d %8.0f ms %6.1f ms %10s %8.0f ms" % (
        "stock: kill + start, OTP re-register", s["registrations"],
        s["max_wait_ms"], s["window_p99_ms"],
        "%d/%d" % (s["window_failed"], s["window_lookups"]),
        s["all_back_ms"]))
print("(max wait: longest a client retrying one name waits for its answer;"
      "\n p99 and failed: lookups under way during the upgrade windows, or"
      "\n from the kill until every name is back; epmdx steady p99 %.2f ms;"
      "\n upgrade command %s ms)" % (e["steady_p99_ms"],
                                     "/".join("%.0f" % v for v in e["upgrade_cmd_ms"])))
if "stock" in res:
    s = res["stock"]
    print("(stock: restarted %.0f ms after the kill; the nodes registered"
          " again from\n %.0f to %.0f ms after it, %d retries)" % (
              s["restart_ms"], s.get("reregistered_first_ms", 0),
              s.get("reregistered_last_ms", 0), s["retries"]))
print("wrote %s" % out)
EOF
