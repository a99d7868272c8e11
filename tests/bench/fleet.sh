#!/bin/bash
# fleet.sh: the full mesh against the etcd backend, same run, same probes.
#
#   bash tests/bench/fleet.sh        (run by `make bench` too)
#
# Clusters, one after the other (BENCH_FLEET, default "mesh:16 etcd:16
# mesh:64 etcd:64 etcd:256"): N daemons f1..fN on 127.0.x.y (one port,
# each listening only on its own address), at the default ttl and
# interval.  mesh: the `hosts` backend, each daemon with a file of the
# N-1 others (a full mesh, N(N-1) streams).  etcd: one etcd member on
# 127.0.0.1 (data in the run's temp dir), `backends = etcd`.  For each,
# tests/bench/fleet.py opens a WATCH on every daemon and measures:
#   converge  ALIVE2 on one daemon -> its "+" pushed by every daemon:
#             p50 / p99 / max over REGS registrations
#   idle      CPU of all the daemons (and of etcd) in % of one core, and
#             bytes written per second by them, over IDLE seconds
#   burst     BURST registrations at once: time until every daemon has
#             them all, CPU ms and bytes written per registration
# The last table says where each backend stops being the right choice.
#
# Output: a table on stdout, $BUILD/bench-fleet.json.  Exit 0 when the run
# completed, 1 when something could not be run (etcd missing: the etcd
# clusters are skipped, with a note).
#
# Environment:
#   BUILD              build directory (default build)
#   EPMDX              daemon under test (default $BUILD/epmdx)
#   BENCH_FLEET        the clusters to run, backend:N ...
#   BENCH_FLEET_REGS   registrations in converge (default 30)
#   BENCH_FLEET_BURST  registrations in burst (default 200)
#   BENCH_FLEET_IDLE   seconds of the idle window (default 10)

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
unset NOTIFY_SOCKET LISTEN_FDS LISTEN_PID EPMDX_HANDOVER_FD \
    EPMDX_HANDOVER_LISTEN EPMDX_FDSTORE EPMDX_FDSTORE_STATE ERL_EPMD_PORT

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

BUILD=${BUILD:-build}
export EPMDX=${EPMDX:-$BUILD/epmdx}
FLEET=${BENCH_FLEET:-mesh:16 etcd:16 mesh:64 etcd:64 etcd:256}
REGS=${BENCH_FLEET_REGS:-30}
BURST=${BENCH_FLEET_BURST:-200}
IDLE=${BENCH_FLEET_IDLE:-10}
JSON=$BUILD/bench-fleet.json

# Temp dir, pid tracking (every pid stopped on exit), daemons, etcd.
. "$root/tests/sync/lib.sh"
. "$root/tests/lib/etcd.sh"
export TESTS_LIB
mkdir -p "$BUILD" || fail "cannot create $BUILD"
make_secret "$TMP/secret"
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# addr K: the loopback address of daemon K (127.0.0.1 .. 127.0.0.250,
# then 127.0.1.1 ...).
addr()
{
	printf '127.0.%d.%d\n' $((($1 - 1) / 250)) $((($1 - 1) % 250 + 1))
}

# cluster BACKEND N: start it, measure it, stop it; $TMP/BACKEND-N.json.
run_cluster()
{
	local be=$1 n=$2 k conf bp eps="" hosts="" pids="" spids="" j
	bp=$(free_port) || fail "no free port"
	if [ "$be" = etcd ]; then
		etcd_start "e$n"
		eval "spids=\$ETCD_PID_e$n"
	fi
	for k in $(seq 1 "$n"); do
		conf=$TMP/$be-$n-f$k.conf
		{
			printf 'log_level = warning\n\n[sync]\n'
			printf 'hostname = f%d\nsecret_file = %s\n' "$k" "$TMP/secret"
			printf 'advertise = %s\n' "$(addr "$k")"
			if [ "$be" = etcd ]; then
				printf 'backends = etcd\netcd_endpoints = %s\n' "$ETCD_URL"
				printf 'etcd_prefix = /bench%s/\n' "$n"
			else
				printf 'backends = hosts\nhosts_file = %s\n' "$conf.hosts"
			fi
		} >"$conf"
		if [ "$be" = mesh ]; then
			for j in $(seq 1 "$n"); do
				[ "$j" = "$k" ] || printf "'%s'.\n" "$(addr "$j")"
			done >"$conf.hosts"
		fi
		start_daemon_as "$be$n-f$k" "$(addr "$k"):$bp" -f "$conf"
		eps="$eps${eps:+, }\"$(addr "$k"):$bp\""
		hosts="$hosts${hosts:+, }\"f$k\""
		pids="$pids${pids:+, }$DAEMON_PID"
	done
	printf '{"eps": [%s], "hosts": [%s], "pids": [%s], "store_pids": [%s],
	    "regs": %d, "burst": %d, "idle": %d}\n' "$eps" "$hosts" "$pids" \
	    "$spids" "$REGS" "$BURST" "$IDLE" >"$TMP/$be-$n.spec"
	"$PYTHON" "$here/fleet.py" "$TMP/$be-$n.spec" "$TMP/$be-$n.json" ||
	    echo "{\"daemons\": $n, \"error\": \"fleet.py failed\"}" \
	        >"$TMP/$be-$n.json"
	for j in $pids; do
		stop_pid "${j%,}"
	done
	[ "$be" = etcd ] && etcd_stop "e$n"
}

have_etcd=1
{ [ -x "$ETCD" ] && [ -x "$ETCDCTL" ]; } || have_etcd=0
for c in $FLEET; do
	be=${c%%:*} n=${c##*:}
	if [ "$be" = etcd ] && [ "$have_etcd" = 0 ]; then
		echo "bench-fleet: $c skipped: etcd not installed" >&2
		continue
	fi
	echo "bench-fleet: $be, $n daemons" >&2
	run_cluster "$be" "$n"
done

"$PYTHON" - "$TMP" "$JSON" $FLEET <<'EOF'
import json, os, sys
tmp, out, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
res = {}
for r in runs:
    be, n = r.split(":")
    f = "%s/%s-%s.json" % (tmp, be, n)
    if os.path.exists(f):
        res[r] = json.load(open(f))
json.dump(res, open(out, "w"), indent=1)

def g(d, *ks):
    for k in ks:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d

def f(v, fmt):
    return fmt % v if v is not None else "-"

print("== fleet: mesh (hosts backend, full mesh) vs etcd, default ttl/interval")
print("%-10s %8s %8s %8s | %8s %8s %9s | %8s %10s %10s %7s" % (
    "cluster", "conv p50", "p99", "max", "idle cpu", "etcd cpu", "idle B/s",
    "burst ms", "cpu ms/reg", "etcd ms/reg", "B/reg"))
for r in runs:
    d = res.get(r)
    if d is None:
        print("%-10s skipped" % r)
        continue
    print("%-10s %8s %8s %8s | %7s%% %7s%% %9s | %8s %10s %10s %7s%s" % (
        r, f(g(d, "converge_ms", "p50"), "%.1f"),
        f(g(d, "converge_ms", "p99"), "%.1f"),
        f(g(d, "converge_ms", "max"), "%.1f"),
        f(g(d, "idle", "cpu_pct"), "%.2f"),
        f(g(d, "idle", "store_cpu_pct"), "%.2f"),
        f(g(d, "idle", "bytes_per_s"), "%.0f"),
        f(g(d, "burst", "all_seen_ms"), "%.0f"),
        f(g(d, "burst", "cpu_ms_per_reg"), "%.3f"),
        f(g(d, "burst", "store_cpu_ms_per_reg"), "%.3f"),
        f(g(d, "burst", "bytes_per_reg"), "%.0f"),
        ("  ERROR: " + d["error"]) if "error" in d else ""))
print("   conv: ALIVE2 on one daemon -> pushed by every daemon (ms); idle:")
print("   all daemons' CPU in % of one core (etcd's apart), bytes written by")
print("   everyone per second; burst: %s registrations at once."
      % next((g(d, "burst", "n") for d in res.values() if g(d, "burst", "n")), "-"))
for n in sorted({int(r.split(":")[1]) for r in runs}):
    m, e = res.get("mesh:%d" % n), res.get("etcd:%d" % n)
    if m and e and g(m, "idle", "cpu_pct") is not None and \
            g(e, "idle", "cpu_pct") is not None:
        me = g(m, "idle", "cpu_pct")
        ee = g(e, "idle", "cpu_pct") + g(e, "idle", "store_cpu_pct")
        print("   %d daemons: idle CPU mesh/etcd (etcd included) %.2f; "
              "p99 convergence mesh/etcd %.2f" % (
                  n, me / ee if ee else float("inf"),
                  g(m, "converge_ms", "p99") / g(e, "converge_ms", "p99")))
EOF
