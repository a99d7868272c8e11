#!/bin/bash
# sync.sh: peer sync numbers on loopback (issue 3, "Numbers").
#
#   bash tests/bench/sync.sh        (make bench-sync; make bench runs it too)
#
# 1. Propagation latency, 16 daemons, full static mesh (each lists the 15
#    others as [::1]:PORT, the one spelling that fits a config line; see
#    2), ttl 10, interval 1.  REGS registrations, one at a time, on
#    the daemons in turn (raw ALIVE2, socket kept).  Around each one a
#    python helper polls the 15 other daemons concurrently with RESOLVE
#    name@host (request 203; one request in flight per daemon, non-blocking
#    sockets, ~1 ms between a reply and the next request) and keeps, per
#    daemon, the time from the ALIVE2 write to the first 'w',0 answer.  All
#    REGS x 15 samples: p50 / p99 / max.  Target: p99 < 200 ms.  A sample
#    is an upper bound; the probe's resolution (its mean interval per
#    daemon, in the table: a single python process turns 15 daemons round
#    in about 3 ms here) shows next to a lower bound (when the last
#    not-found request was sent).
# 2. Convergence, 64 daemons x 100 nodes (6,400 registrations held by one
#    python process with RLIMIT_NOFILE raised), full mesh (64 x 63 streams).
#    Time from the first ALIVE2 until every daemon holds all 6,400: the
#    helper polls each daemon's epmdx_sync_remote_registrations (cheap) and
#    then `epmdxctl --json cluster` is counted on each daemon as the check.
#    The static backend cannot express this mesh (a config line holds at
#    most 198 characters, so `peers =` fits about 11 IPv4 loopback peers or
#    15 "[::1]:PORT" ones), so these daemons sit on 127.0.0.1..64 at one
#    port and use the `hosts` backend, each with a file of the 63 others.
#    Also the bytes, frames, resyncs and daemon CPU the convergence cost,
#    an idle window of the converged cluster (CPU against the 3% target,
#    frames and bytes per second, per stream), and the time until every
#    daemon has dropped all 6,400 once the holder exits.
# 3. On the 16-daemon cluster: bytes per change (CHANGES registrations, then
#    their unregistrations, on one daemon; metrics deltas there divided by
#    changes x peers: streams that carry changes carry no heartbeat); bytes
#    per heartbeat and CPU of the idle cluster (an idle window: sealed
#    bytes / frames sent; utime+stime from /proc/PID/stat as % of one core,
#    per daemon and total).
#
# Output: a table on stdout, $BUILD/bench-sync.json.  Exit 0 when the run
# completed (targets missed are reported, not failed), 1 when something
# could not be run.  About 1 minute.
#
# Environment:
#   BUILD              build directory (default build)
#   EPMDX              daemon under test (default $BUILD/epmdx); epmdxctl
#                      from the same directory
#   BENCH_SYNC_N       daemons for 1 and 3 (default 16)
#   BENCH_SYNC_REGS    registrations timed in 1 (default 100)
#   BENCH_SYNC_BIG     daemons for 2 (default 64)
#   BENCH_SYNC_PER     nodes per daemon in 2 (default 100)
#   BENCH_SYNC_IDLE    seconds of each idle window (default 12: two heartbeat
#                      periods at ttl 10, so the window's phase does not
#                      matter)
#   BENCH_SYNC_CHANGES registrations (and unregistrations) in 3 (default 50)
#   BENCH_SYNC_ONLY    "idle64": only the BIG daemons' mesh and its idle
#                      window, with no node registered (parts 1 and 3, the
#                      registrations and convergence of 2 are skipped)
#   BENCH_SYNC_TTL, BENCH_SYNC_INTERVAL   ttl and interval in every
#                      daemon's [sync] (default 10 and 1; the daemon's own
#                      defaults are 10 and 2)
#   SYNC_KEEP=1        keep the temp dir (daemon logs)

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
unset NOTIFY_SOCKET LISTEN_FDS LISTEN_PID EPMDX_HANDOVER_FD \
    EPMDX_HANDOVER_LISTEN EPMDX_FDSTORE EPMDX_FDSTORE_STATE

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

BUILD=${BUILD:-build}
export EPMDX=${EPMDX:-$BUILD/epmdx}
N=${BENCH_SYNC_N:-16}
REGS=${BENCH_SYNC_REGS:-100}
BIG=${BENCH_SYNC_BIG:-64}
PER=${BENCH_SYNC_PER:-100}
IDLE=${BENCH_SYNC_IDLE:-12}
CHANGES=${BENCH_SYNC_CHANGES:-50}
ONLY=${BENCH_SYNC_ONLY:-}
JSON=$BUILD/bench-sync.json
export SYNC_TTL=${BENCH_SYNC_TTL:-10} SYNC_INTERVAL=${BENCH_SYNC_INTERVAL:-1}

# Temp dir, pid tracking (every pid stopped on exit), daemons, helpers.
. "$root/tests/sync/lib.sh"
export TESTS_LIB	# for the helper below: it imports tests/lib/epmd.py

[ "$BIG" -le 250 ] || fail "BENCH_SYNC_BIG: at most 250 (127.0.0.x)"
case $ONLY in
""|idle64) ;;
*)	fail "BENCH_SYNC_ONLY: empty or idle64" ;;
esac
[ "$N" -ge 2 ] && [ "$N" -le 16 ] ||
    fail "BENCH_SYNC_N: 2 to 16 (a static list of [::1] peers fits 15)"
mkdir -p "$BUILD" || fail "cannot create $BUILD"
T_START=$(now_ms)
SB=$TMP/sb.py

# ------------------------------------------------------------ the helper
cat >"$SB" <<'EOF'
"""Client side of tests/bench/sync.sh: latency probes, registrations,
metrics and /proc readings, the report.  Everything bounded."""
import errno, json, os, random, resource, selectors, signal, socket, \
    struct, sys, time

sys.path.insert(0, os.environ["TESTS_LIB"])
import epmd

mono = time.monotonic


def alive2(name, nport):
    return epmd.alive2(name, nport)


def resolve_req(node):
    return epmd.simple(epmd.X_RESOLVE, node)


def split_ep(ep):
    host, port = ep.rsplit(":", 1)
    return host.strip("[]"), int(port)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def write_json(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f, indent=1)
    os.rename(path + ".tmp", path)


def metrics(ep, timeout=5):
    """The daemon's /metrics as {name: value}."""
    s = socket.create_connection(split_ep(ep), timeout=timeout)
    try:
        s.sendall(b"GET /metrics HTTP/1.0\r\nHost: bench\r\n\r\n")
        data = b""
        end = mono() + timeout
        while mono() < end:
            d = s.recv(65536)
            if not d:
                break
            data += d
    finally:
        s.close()
    out = {}
    for line in data.decode("latin-1").split("\r\n\r\n", 1)[-1].splitlines():
        if line.startswith("#") or " " not in line:
            continue
        k, v = line.rsplit(" ", 1)
        try:
            out[k] = float(v)
        except ValueError:
            pass
    return out


def proc_cpu(pid):
    """(utime+stime ticks, run ns from schedstat or None)."""
    with open("/proc/%d/stat" % pid) as f:
        f = f.read().rsplit(")", 1)[1].split()
    ticks = int(f[11]) + int(f[12])
    try:
        with open("/proc/%d/schedstat" % pid) as g:
            ns = int(g.read().split()[0])
    except (OSError, ValueError, IndexError):
        ns = None
    return ticks, ns


def hold_forever(socks, limit=600):
    """Keep the registrations until TERM (or limit seconds)."""
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    end = mono() + limit
    while mono() < end:
        time.sleep(1)


def pct(xs, p):
    """Nearest-rank percentile of a sorted list."""
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, int(-(-p * len(xs) // 100)) - 1))
    return xs[k]


# ------------------------------------------------------------- latency

class Prober:
    """RESOLVE name@host against one daemon, one request at a time."""

    def __init__(self, ep, idx):
        self.host, self.port = split_ep(ep)
        self.idx = idx
        self.sock = None
        self.next = 0.0
        self.buf = b""
        self.done = None        # time found (monotonic)
        self.sent = 0.0         # when the request in flight went out
        self.last_nf = None     # send time of the last not-found request
        self.early = False      # found before the ALIVE2 was sent
        self.polls = 0
        self.errors = 0

    def close(self, sel):
        if self.sock is not None:
            try:
                sel.unregister(self.sock)
            except (KeyError, ValueError):
                pass
            self.sock.close()
            self.sock = None


def latency(spec, out):
    """spec: {"eps": [...], "hosts": [...], "regs": N, "gap": [a, b],
    "timeout": s, "poll_gap": s}.  Registers lat<i> on daemon i % n,
    writes the samples to out, then holds the registrations."""
    sp = json.loads(spec)
    eps, hosts = sp["eps"], sp["hosts"]
    n = len(eps)
    rnd = random.Random(3)
    gap = sp.get("poll_gap", 0.001)
    regs, held = [], []
    sel = selectors.DefaultSelector()
    for i in range(sp["regs"]):
        o = i % n
        name = ("lat%d" % i).encode()
        node = name + b"@" + hosts[o].encode()
        req = resolve_req(node)
        oh, op = split_ep(eps[o])
        reg = socket.create_connection((oh, op), timeout=5)
        reg.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        probers = [Prober(eps[j], j) for j in range(n) if j != o]
        t0 = None
        ack = None
        ackbuf = b""
        start = mono()
        warm = start + 0.02
        end = start + 0.02 + sp["timeout"]
        while True:
            now = mono()
            if t0 is None and now >= warm:
                t0 = mono()
                reg.sendall(alive2(name, 30000 + i % 30000))
                reg.setblocking(False)
                sel.register(reg, selectors.EVENT_READ, "reg")
            if t0 is not None and ack is not None and \
                    all(p.done is not None for p in probers):
                break
            if now >= end:
                break
            # Start due requests.
            wake = min(now + 0.005, warm if t0 is None else end)
            for p in probers:
                if p.done is not None or p.sock is not None:
                    continue
                if p.next <= now:
                    s = socket.socket(family(p.host), socket.SOCK_STREAM)
                    s.setblocking(False)
                    e = s.connect_ex((p.host, p.port))
                    if e not in (0, errno.EINPROGRESS):
                        s.close()
                        p.errors += 1
                        p.next = now + 0.01
                        continue
                    p.sock = s
                    p.buf = b""
                    p.polls += 1
                    sel.register(s, selectors.EVENT_WRITE, p)
                else:
                    wake = min(wake, p.next)
            for key, ev in sel.select(max(0.0, wake - mono())):
                p = key.data
                now = mono()
                if p == "reg":
                    try:
                        d = reg.recv(16)
                    except BlockingIOError:
                        continue
                    ackbuf += d
                    if len(ackbuf) >= 2 or not d:
                        ack = now
                        sel.unregister(reg)
                        if len(ackbuf) < 2 or ackbuf[1] != 0:
                            sys.exit("ALIVE2 of %s refused: %r" %
                                     (node, ackbuf))
                    continue
                if ev & selectors.EVENT_WRITE:
                    err = p.sock.getsockopt(socket.SOL_SOCKET,
                                            socket.SO_ERROR)
                    if err:
                        p.errors += 1
                        p.close(sel)
                        p.next = now + 0.01
                        continue
                    p.sock.send(req)
                    p.sent = now
                    sel.modify(p.sock, selectors.EVENT_READ, p)
                    continue
                try:
                    d = p.sock.recv(64)
                except OSError:
                    d = b""
                p.buf += d
                if len(p.buf) >= 2:
                    p.close(sel)
                    if p.buf[0] == 119 and p.buf[1] == 0:
                        if t0 is None:
                            p.early = True
                            p.next = now + gap
                        else:
                            p.done = now
                    else:
                        p.last_nf = p.sent
                        p.next = now + gap
                elif not d:
                    p.errors += 1
                    p.close(sel)
                    p.next = now + 0.01
        for p in probers:
            p.close(sel)
        reg.setblocking(True)
        held.append(reg)
        window = mono() - t0 if t0 else 0
        rec = {"origin": o, "ack_ms": round((ack - t0) * 1e3, 3)
               if ack and t0 else None, "window_s": round(window, 4),
               "polls": sum(p.polls for p in probers),
               "errors": sum(p.errors for p in probers),
               "early": sum(p.early for p in probers),
               "loop_s": round(mono() - start, 4), "delays_ms": {},
               "lower_ms": {}}
        for p in probers:
            rec["delays_ms"][p.idx] = round((p.done - t0) * 1e3, 3) \
                if p.done is not None else None
            rec["lower_ms"][p.idx] = round(max(0.0, (p.last_nf - t0) * 1e3),
                                           3) if p.done is not None and \
                p.last_nf is not None else None
        regs.append(rec)
        time.sleep(rnd.uniform(*sp["gap"]))
    write_json(out, {"regs": regs, "timeout_ms": sp["timeout"] * 1e3})
    hold_forever(held)


# --------------------------------------------------------------- mesh

def mesh(spec, out):
    """Wait (bounded) until every daemon has want established peers and
    want inbound streams; writes what it saw."""
    sp = json.loads(spec)
    end = mono() + sp["timeout"]
    t0 = mono()
    last = {}
    while True:
        ok = True
        for ep in sp["meps"]:
            try:
                m = metrics(ep)
            except OSError:
                ok = False
                continue
            last[ep] = [m.get("epmdx_sync_peers_established"),
                        m.get("epmdx_sync_inbound_streams")]
            if last[ep] != [sp["want"], sp["want"]]:
                ok = False
        if ok or mono() > end:
            break
        time.sleep(0.2)
    write_json(out, {"ok": ok, "secs": round(mono() - t0, 2),
                     "bad": {k: v for k, v in last.items()
                             if v != [sp["want"], sp["want"]]}})
    sys.exit(0 if ok else 1)


# --------------------------------------------------------------- idle

SUMS = ("epmdx_sync_bytes_sent_total", "epmdx_sync_frames_sent_total",
        "epmdx_sync_bytes_received_total", "epmdx_sync_frames_received_total",
        "epmdx_sync_resyncs_total", "epmdx_sync_auth_failures_total",
        "epmdx_sync_bad_frames_total", "epmdx_sync_expired_total")


def snap(meps, pids):
    return [metrics(ep) for ep in meps], [proc_cpu(p) for p in pids]


def diff(a, b, meps, pids, secs):
    (ma, ca), (mb, cb) = a, b
    tick = os.sysconf("SC_CLK_TCK")
    per = []
    for i in range(len(meps)):
        d = {k: mb[i].get(k, 0) - ma[i].get(k, 0) for k in SUMS}
        d["ticks"] = cb[i][0] - ca[i][0]
        d["cpu_pct"] = 100.0 * d["ticks"] / tick / secs
        if ca[i][1] is not None and cb[i][1] is not None:
            d["sched_cpu_pct"] = 100.0 * (cb[i][1] - ca[i][1]) / 1e9 / secs
        d["peers"] = mb[i].get("epmdx_sync_peers_established")
        per.append(d)
    return per


def idle(spec, out):
    """A window of spec["secs"] seconds over the daemons: metric deltas
    and CPU per daemon."""
    sp = json.loads(spec)
    a = snap(sp["meps"], sp["pids"])
    t0 = mono()
    time.sleep(sp["secs"])
    b = snap(sp["meps"], sp["pids"])
    secs = mono() - t0
    write_json(out, {"secs": secs, "interval": sp["interval"],
                     "per": diff(a, b, sp["meps"], sp["pids"], secs)})


# ------------------------------------------------------------- changes

def wait_version(mep, want, limit=10):
    end = mono() + limit
    while mono() < end:
        m = metrics(mep)
        if m.get("epmdx_sync_version", -1) >= want:
            return m
        time.sleep(0.01)
    sys.exit("version %d not reached on %s" % (want, mep))


def changes(spec, out):
    """Register n nodes on one daemon, then drop them: metric deltas."""
    sp = json.loads(spec)
    ep, mep, n = sp["ep"], sp["mep"], sp["n"]
    m0 = metrics(mep)
    v0 = m0["epmdx_sync_version"]
    t0 = mono()
    socks = []
    for i in range(n):
        s = socket.create_connection(split_ep(ep), timeout=5)
        s.sendall(alive2(("chg%d" % i).encode(), 40000 + i))
        r = s.recv(16)
        if len(r) < 2 or r[1] != 0:
            sys.exit("ALIVE2 chg%d refused: %r" % (i, r))
        socks.append(s)
    m1 = wait_version(mep, v0 + n)
    t1 = mono()
    for s in socks:
        s.close()
    m2 = wait_version(mep, v0 + 2 * n)
    t2 = mono()
    d = lambda a, b: {k: b.get(k, 0) - a.get(k, 0) for k in SUMS}
    write_json(out, {"n": n, "peers": m0.get("epmdx_sync_peers_established"),
                     "add": d(m0, m1), "add_secs": t1 - t0,
                     "del": d(m1, m2), "del_secs": t2 - t1,
                     "name_len": len("chg%d" % (n // 2))})


# --------------------------------------------------------------- storm

def storm(spec, out):
    """Register per nodes on each daemon, round robin, as fast as the
    daemons take them; hold them."""
    sp = json.loads(spec)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    eps, per = sp["eps"], sp["per"]
    sel = selectors.DefaultSelector()
    socks, pending = [], 0
    t_first = time.time()
    m_first = mono()
    for j in range(per):
        for d, ep in enumerate(eps):
            s = socket.create_connection(split_ep(ep), timeout=10)
            s.sendall(alive2(("s%d_%d" % (d, j)).encode(),
                             30000 + j))
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, [b""])
            socks.append(s)
            pending += 1
            # Take the replies already there, so few wait in buffers.
            for key, _ in sel.select(0):
                pending -= read_ack(sel, key)
    m_sent = mono()
    end = mono() + 60
    while pending and mono() < end:
        for key, _ in sel.select(1):
            pending -= read_ack(sel, key)
    m_acked = mono()
    write_json(out, {"t_first": t_first, "sent_s": m_sent - m_first,
                     "acked_s": m_acked - m_first, "registered":
                     len(socks) - pending, "wanted": len(eps) * per})
    hold_forever(socks)


def read_ack(sel, key):
    s = key.fileobj
    try:
        d = s.recv(16)
    except BlockingIOError:
        return 0
    key.data[0] += d
    if len(key.data[0]) >= 2 or not d:
        sel.unregister(s)
        if len(key.data[0]) < 2 or key.data[0][1] != 0:
            sys.exit("ALIVE2 refused: %r" % key.data[0])
        return 1
    return 0


def converge(spec, out):
    """Poll every daemon's remote registration count (metrics) until it
    is want, in turn over the ones not there yet; the wall-clock time each
    first got there."""
    sp = json.loads(spec)
    want, meps = sp["want"], sp["meps"]
    seen = {}
    polls = 0
    end = mono() + sp["timeout"]
    while len(seen) < len(meps) and mono() < end:
        for ep in meps:
            if ep in seen:
                continue
            try:
                m = metrics(ep)
            except OSError:
                continue
            polls += 1
            if m.get("epmdx_sync_remote_registrations") == want:
                seen[ep] = time.time()
        time.sleep(0.005)
    write_json(out, {"done": {k: v for k, v in seen.items()},
                     "missing": [ep for ep in meps if ep not in seen],
                     "polls": polls})


def window_snap(spec, out):
    """Metric sums and CPU of every daemon now (for before/after)."""
    sp = json.loads(spec)
    m, c = snap(sp["meps"], sp["pids"])
    write_json(out, {"t": time.time(), "m": m, "cpu": c})


# -------------------------------------------------------------- report

def report(spec, jsonout):
    sp = json.loads(spec)
    load = lambda k: json.load(open(sp[k])) if sp.get(k) and \
        os.path.exists(sp[k]) else None
    lat, idle16, chg = load("lat"), load("idle16"), load("changes")
    storm_r, conv, idle64 = load("storm"), load("converge"), load("idle64")
    gone = load("gone64")
    b0, b1 = load("before64"), load("after64")
    res = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "cpus": os.cpu_count(), "ttl": sp["ttl"],
           "interval": sp["interval"]}
    rows = []

    def row(a, b, c=""):
        rows.append((a, b, c))

    # 1. latency
    if lat:
        xs, lo = [], []
        miss = 0
        per_reg = []
        polls = wins = 0.0
        for r in lat["regs"]:
            ds = list(r["delays_ms"].values())
            xs += [x for x in ds if x is not None]
            miss += sum(x is None for x in ds)
            lo += [x for x in r["lower_ms"].values() if x is not None]
            per_reg.append(max(x if x is not None else float("inf")
                               for x in ds))
            polls += r["polls"]
            wins += r["loop_s"] * len(ds)
        xs.sort()
        lo.sort()
        per_reg.sort()
        n_s = len(xs) + miss
        # Misses count as slower than any sample.
        allx = xs + [float("inf")] * miss
        p50, p99, mx = pct(allx, 50), pct(allx, 99), allx[-1]
        ok = p99 is not None and p99 < 200
        fmt = lambda v: "never" if v == float("inf") else "%.1f ms" % v
        res["latency"] = {
            "daemons": sp["n"], "registrations": len(lat["regs"]),
            "samples": n_s, "not_seen": miss,
            "timeout_ms": lat["timeout_ms"],
            "p50_ms": p50 if p50 != float("inf") else None,
            "p99_ms": p99 if p99 != float("inf") else None,
            "max_ms": mx if mx != float("inf") else None,
            "all_visible_p50_ms": pct(per_reg, 50)
            if pct(per_reg, 50) != float("inf") else None,
            "all_visible_p99_ms": pct(per_reg, 99)
            if pct(per_reg, 99) != float("inf") else None,
            "lower_bound_p50_ms": pct(lo, 50),
            "lower_bound_p99_ms": pct(lo, 99),
            "alive2_ack_p50_ms": pct(sorted(r["ack_ms"] for r in lat["regs"]
                                            if r["ack_ms"] is not None), 50),
            "poll_interval_ms": round(wins / polls * 1e3, 2) if polls else
            None,
            "probe_errors": sum(r["errors"] for r in lat["regs"]),
            "found_before_alive2": sum(r["early"] for r in lat["regs"]),
            "target_p99_ms": 200, "pass": ok}
        L = res["latency"]
        row("1. ALIVE2 -> visible, %d daemons" % sp["n"],
            "%d regs x %d = %d samples" % (L["registrations"], sp["n"] - 1,
                                           n_s))
        row("   per daemon p50 / p99 / max", "%s / %s / %s" %
            (fmt(p50), fmt(p99), fmt(mx)),
            "target p99 < 200 ms: %s" % ("pass" if ok else "MISS"))
        if lo:
            row("   lower bound p50 / p99", "%s / %s" % (fmt(pct(lo, 50)),
                fmt(pct(lo, 99))), "(last not-found request sent)")
        row("   all %d visible p50 / p99" % (sp["n"] - 1), "%s / %s" %
            (fmt(pct(per_reg, 50)), fmt(pct(per_reg, 99))))
        row("   not seen within %.0f s" % (lat["timeout_ms"] / 1e3),
            "%d" % miss)
        row("   probe: mean interval per daemon", "%.2f ms" %
            L["poll_interval_ms"] if L["poll_interval_ms"] else "-",
            "errors %d, early %d; ALIVE2 ack p50 %.2f ms" % (
                L["probe_errors"], L["found_before_alive2"],
                L["alive2_ack_p50_ms"] or 0))

    # 3. bytes per change / heartbeat, idle CPU (16)
    hb_size = None
    if idle16:
        per = idle16["per"]
        secs = idle16["secs"]
        bs = sum(d["epmdx_sync_bytes_sent_total"] for d in per)
        fs = sum(d["epmdx_sync_frames_sent_total"] for d in per)
        pairs = sum(d["peers"] or 0 for d in per)
        hb_size = bs / fs if fs else None
        cpu = [d["cpu_pct"] for d in per]
        sched = [d.get("sched_cpu_pct") for d in per]
        res["idle16"] = {
            "secs": round(secs, 2), "streams": pairs,
            "bytes_sent": bs, "frames_sent": fs,
            "bytes_per_frame": round(hb_size, 1) if hb_size else None,
            "frames_per_stream_s": round(fs / pairs / secs, 3) if pairs
            else None,
            "bytes_received": sum(d["epmdx_sync_bytes_received_total"]
                                  for d in per),
            "resyncs": sum(d["epmdx_sync_resyncs_total"] for d in per),
            "cpu_pct_per_daemon": [round(c, 2) for c in cpu],
            "cpu_pct_total": round(sum(cpu), 2),
            "cpu_pct_max": round(max(cpu), 2),
            "sched_cpu_pct_per_daemon": [round(c, 3) if c is not None
                                         else None for c in sched],
            "sched_cpu_pct_total": round(sum(c for c in sched if c), 3)}
        I = res["idle16"]
        row("3. idle %d daemons, %.0f s" % (sp["n"], secs),
            "%d streams" % pairs)
        row("   bytes per heartbeat (frame)", "%.1f B" %
            (I["bytes_per_frame"] or 0),
            "%.3f frames/stream/s, %.2f B/stream/s" %
            (I["frames_per_stream_s"] or 0,
             bs / pairs / secs if pairs else 0))
        row("   CPU per daemon mean / max", "%.2f%% / %.2f%%" %
            (sum(cpu) / len(cpu), max(cpu)),
            "of one core (/proc stat, %d Hz ticks)" %
            os.sysconf("SC_CLK_TCK"))
        row("   CPU total", "%.2f%%" % sum(cpu), "schedstat: %.3f%% total" %
            I["sched_cpu_pct_total"])
    if chg:
        peers = chg["peers"] or 1
        out = {"changes": chg["n"], "peers": peers}
        for kind in ("add", "del"):
            d = chg[kind]
            frames = d["epmdx_sync_frames_sent_total"]
            by = d["epmdx_sync_bytes_sent_total"]
            # A stream carrying changes carries no heartbeat (only idle
            # ones do), so what was sent is what the changes cost.
            out[kind] = {
                "bytes_sent": by, "frames_sent": frames,
                "bytes_per_change_per_peer": round(by / chg["n"] / peers, 1),
                "bytes_per_change": round(by / chg["n"], 1),
                "frames_per_change_per_peer": round(frames / chg["n"] /
                                                    peers, 2),
                "resyncs": d["epmdx_sync_resyncs_total"]}
        res["per_change"] = out
        row("3. bytes per change (one daemon, %d peers)" % peers,
            "%d regs, %d unregs" % (chg["n"], chg["n"]))
        row("   registration (ADD) per peer", "%.1f B" %
            out["add"]["bytes_per_change_per_peer"],
            "%.0f B per change to all peers; %.2f frames per change/peer" %
            (out["add"]["bytes_per_change"],
             out["add"]["frames_per_change_per_peer"]))
        row("   unregistration (DEL) per peer", "%.1f B" %
            out["del"]["bytes_per_change_per_peer"],
            "%.0f B per change to all peers; %.2f frames per change/peer" %
            (out["del"]["bytes_per_change"],
             out["del"]["frames_per_change_per_peer"]))

    # 2. convergence (64)
    if storm_r:
        S = {"daemons": sp["big"], "nodes_per_daemon": sp["per"],
             "registrations": storm_r["registered"],
             "wanted": storm_r["wanted"],
             "backend": "hosts (127.0.0.1..%d, one port)" % sp["big"],
             "registering_s": round(storm_r["acked_s"], 2)}
        if sp.get("mesh64") is not None:
            S["mesh_s"] = sp["mesh64"]
        if conv:
            done = conv["done"]
            S["converged"] = not conv["missing"]
            S["not_converged"] = len(conv["missing"])
            if done:
                ts = sorted(v - storm_r["t_first"] for v in done.values())
                S["first_daemon_s"] = round(ts[0], 2)
                S["median_daemon_s"] = round(pct(ts, 50), 2)
                S["all_daemons_s"] = round(ts[-1], 2) if S["converged"] \
                    else None
            S["metric_polls"] = conv["polls"]
        if sp.get("ctl64") is not None:
            S["epmdxctl_check"] = sp["ctl64"]
        if b0 and b1:
            tick = os.sysconf("SC_CLK_TCK")
            dsum = lambda k: sum(b.get(k, 0) for b in b1["m"]) - \
                sum(a.get(k, 0) for a in b0["m"])
            cpu_s = sum(c[0] for c in b1["cpu"]) - \
                sum(c[0] for c in b0["cpu"])
            S["window_s"] = round(b1["t"] - b0["t"], 2)
            S["bytes_sent"] = dsum("epmdx_sync_bytes_sent_total")
            S["frames_sent"] = dsum("epmdx_sync_frames_sent_total")
            S["resyncs"] = dsum("epmdx_sync_resyncs_total")
            S["daemon_cpu_s"] = round(cpu_s / tick, 2)
            n = storm_r["registered"] * (sp["big"] - 1)
            S["bytes_per_change_per_peer"] = round(S["bytes_sent"] / n, 1) \
                if n else None
        res["converge64"] = S
        row("2. %d daemons x %d nodes" % (sp["big"], sp["per"]),
            "%d registered in %.2f s" % (S["registrations"],
                                         S["registering_s"]),
            "mesh of %s streams %s s after the last start" %
            (sp["big"] * (sp["big"] - 1), S.get("mesh_s", "?")))
        if conv:
            row("   all hold %d: first / median / last" % S["wanted"],
                "%s / %s / %s" % (
                    "%.2f s" % S["first_daemon_s"] if done else "-",
                    "%.2f s" % S["median_daemon_s"] if done else "-",
                    "%.2f s" % S["all_daemons_s"] if S.get("all_daemons_s")
                    is not None else "NOT CONVERGED (%d)" %
                    S["not_converged"]),
                "from first ALIVE2")
        if "epmdxctl_check" in S:
            row("   epmdxctl --json cluster count", S["epmdxctl_check"])
        if "bytes_sent" in S:
            row("   sent during convergence", "%.1f MiB, %d frames" %
                (S["bytes_sent"] / 1048576.0, S["frames_sent"]),
                "%s B/change/peer, %d resyncs, daemons %.1f CPU-s in %.1f s"
                % (S["bytes_per_change_per_peer"], S["resyncs"],
                   S["daemon_cpu_s"], S["window_s"]))
    if gone and sp.get("t_stop"):
        ts = sorted(v - sp["t_stop"] for v in gone["done"].values())
        G = {"converged": not gone["missing"],
             "not_converged": len(gone["missing"]),
             "all_daemons_s": round(ts[-1], 2) if ts and not
             gone["missing"] else None,
             "median_daemon_s": round(pct(ts, 50), 2) if ts else None}
        res["unregister64"] = G
        row("   all %d dropped: median / last" % (sp["big"] * sp["per"]),
            "%s / %s" % ("%.2f s" % G["median_daemon_s"]
                         if G["median_daemon_s"] is not None else "-",
                         "%.2f s" % G["all_daemons_s"]
                         if G["all_daemons_s"] is not None else
                         "NOT CONVERGED (%d)" % G["not_converged"]),
            "from the holder's exit (its %d sockets closed)" %
            (sp["big"] * sp["per"]))
    if idle64:
        per = idle64["per"]
        cpu = [d["cpu_pct"] for d in per]
        secs = idle64["secs"]
        bs = sum(d["epmdx_sync_bytes_sent_total"] for d in per)
        fs = sum(d["epmdx_sync_frames_sent_total"] for d in per)
        pairs = sum(d["peers"] or 0 for d in per)
        res["idle64"] = {
            "secs": round(secs, 2), "streams": pairs, "bytes_sent": bs,
            "frames_sent": fs, "bytes_per_s": round(bs / secs, 1),
            "frames_per_s": round(fs / secs, 1),
            "bytes_per_stream_s": round(bs / secs / pairs, 2) if pairs
            else None,
            "frames_per_stream_s": round(fs / secs / pairs, 3) if pairs
            else None,
            "target_cpu_pct_total": 3.0,
            "resyncs": sum(d["epmdx_sync_resyncs_total"] for d in per),
            "cpu_pct_total": round(sum(cpu), 2),
            "cpu_pct_max": round(max(cpu), 2),
            "sched_cpu_pct_total": round(sum(d.get("sched_cpu_pct") or 0
                                             for d in per), 3)}
        I = res["idle64"]
        row("   idle %d daemons, %.0f s: CPU total" % (sp["big"], secs),
            "%.2f%% (max %.2f%%)" % (I["cpu_pct_total"], I["cpu_pct_max"]),
            "target <= 3%%: %s; schedstat %.3f%%" %
            ("met" if I["cpu_pct_total"] <= 3.0 else "MISSED",
             I["sched_cpu_pct_total"]))
        row("   idle %d daemons: sent" % sp["big"],
            "%.1f KiB/s, %.0f frames/s" % (bs / secs / 1024, fs / secs),
            "%d streams: %s B/s and %s frames/s per stream" %
            (pairs, I["bytes_per_stream_s"], I["frames_per_stream_s"]))
    res["elapsed_s"] = sp["elapsed"]
    write_json(jsonout, res)
    w = max(len(r[0]) for r in rows) if rows else 10
    w2 = max(len(r[1]) for r in rows) if rows else 10
    print("epmdx peer sync on loopback (ttl %s, interval %s; %d CPUs)" %
          (sp["ttl"], sp["interval"], os.cpu_count()))
    for a, b, c in rows:
        print("%-*s  %-*s  %s" % (w, a, w2, b, c))
    print("elapsed %d s; JSON in %s" % (sp["elapsed"], jsonout))


if __name__ == "__main__":
    {"latency": latency, "mesh": mesh, "idle": idle, "changes": changes,
     "storm": storm, "converge": converge, "snap": window_snap,
     "report": report}[sys.argv[1]](*sys.argv[2:])
EOF

# sb_bg OUT CMD SPEC: the helper in the background, log OUT.log; SBPID.
sb_bg()
{
	"$PYTHON" "$SB" "$2" "$3" "$1" >"$1.log" 2>&1 </dev/null &
	SBPID=$!
	track_pid "$SBPID"
}

# sb OUT CMD SPEC: the helper in the foreground, bounded.
sb()
{
	timeout -k 2 "${SB_LIMIT:-120}" "$PYTHON" "$SB" "$2" "$3" "$1" \
	    >"$1.log" 2>&1 </dev/null || {
		cat "$1.log" >&2
		return 1
	}
}

# wait_file FILE SECS PID: until FILE exists; fail if PID dies first.
wait_file()
{
	local end=$(( $(now_ms) + $2 * 1000 ))
	until [ -s "$1" ]; do
		if dead "$3"; then
			cat "$1.log" >&2
			fail "helper for $(basename "$1") exited early"
		fi
		[ "$(now_ms)" -ge "$end" ] && fail "no $(basename "$1") after $2 s"
		sleep 0.1
	done
}

# jlist A B C: a JSON list of strings.
jlist()
{
	local s="" x
	for x in "$@"; do
		s="$s${s:+,}\"$x\""
	done
	printf '[%s]' "$s"
}
jnums()
{
	local IFS=,
	printf '[%s]' "$*"
}

make_secret "$TMP/secret"
MESH64=null CTL64=null T_STOP=null

# --------------------------------------------- 1 and 3: N daemons, static
if [ -z "$ONLY" ]; then
echo "bench-sync: $N daemons, static full mesh on [::1]" >&2
read -r -a PP <<<"$(free_ports $((2 * N)))" || fail "no free ports"
P=("${PP[@]:0:N}")
M=("${PP[@]:N:N}")
EPS=() MEPS=() HOSTS=() DP=()
for i in $(seq 0 $((N - 1))); do
	peers=""
	for j in $(seq 0 $((N - 1))); do
		[ "$j" = "$i" ] && continue
		peers="$peers${peers:+,}[::1]:${P[j]}"
	done
	conf=$TMP/a$i.conf
	write_conf "$conf" "a$i" "$peers"
	printf '\n[metrics]\nlisten = 127.0.0.1:%s\n' "${M[i]}" >>"$conf"
	start_daemon_as "a$i" "${P[i]}" -f "$conf"
	EPS+=("127.0.0.1:${P[i]}") MEPS+=("127.0.0.1:${M[i]}")
	HOSTS+=("a$i") DP+=("$DAEMON_PID")
done
SB_LIMIT=40 sb "$TMP/mesh16.json" mesh "{\"meps\": $(jlist "${MEPS[@]}"),
    \"want\": $((N - 1)), \"timeout\": 30}" || {
	for i in 0 1; do peers "${EPS[i]}"; done
	fail "the $N daemons did not all reach $((N - 1)) peers each"
}

echo "bench-sync: latency, $REGS registrations" >&2
sb_bg "$TMP/lat.json" latency "{\"eps\": $(jlist "${EPS[@]}"),
    \"hosts\": $(jlist "${HOSTS[@]}"), \"regs\": $REGS, \"gap\": [0.05, 0.25],
    \"timeout\": 3, \"poll_gap\": 0.001}"
LATPID=$SBPID
wait_file "$TMP/lat.json" $((REGS * 4 + 30)) "$LATPID"

sleep 2
echo "bench-sync: idle window, ${IDLE} s" >&2
SB_LIMIT=$((IDLE + 30)) sb "$TMP/idle16.json" idle "{\"meps\": \
$(jlist "${MEPS[@]}"), \"pids\": $(jnums "${DP[@]}"), \"secs\": $IDLE,
    \"interval\": $SYNC_INTERVAL}" || fail "idle window failed"

echo "bench-sync: bytes per change, $CHANGES + $CHANGES" >&2
SB_LIMIT=60 sb "$TMP/changes.json" changes "{\"ep\": \"${EPS[0]}\",
    \"mep\": \"${MEPS[0]}\", \"n\": $CHANGES}" || fail "changes failed"

stop_pid "$LATPID"
kill_wait_all "${DP[@]}"
fi

# ----------------------------------- 2: BIG daemons x PER nodes, hosts file
echo "bench-sync: $BIG daemons x $PER nodes (hosts backend, 127.0.0.1-$BIG)" >&2
read -r BP BM <<<"$(free_ports 2)" || fail "no free ports"
"$PYTHON" -c '
import socket, sys
for i in range(1, int(sys.argv[1]) + 1):
    for p in sys.argv[2:]:
        s = socket.socket(); s.bind(("127.0.0.%d" % i, int(p))); s.close()
' "$BIG" "$BP" "$BM" || fail "127.0.0.1-$BIG not usable at ports $BP, $BM"
BEPS=() BMEPS=() BDP=()
for i in $(seq 1 "$BIG"); do
	hf=$TMP/b$i.hosts
	for j in $(seq 1 "$BIG"); do
		[ "$j" = "$i" ] || printf "'127.0.0.%d'.\n" "$j"
	done >"$hf"
	conf=$TMP/b$i.conf
	write_conf "$conf" "b$i" "" "backends = hosts" "hosts_file = $hf" \
	    "advertise = 127.0.0.$i"
	printf '\n[metrics]\nlisten = 127.0.0.%d:%s\n' "$i" "$BM" >>"$conf"
	start_daemon_as "b$i" "127.0.0.$i:$BP" -f "$conf"
	BEPS+=("127.0.0.$i:$BP") BMEPS+=("127.0.0.$i:$BM") BDP+=("$DAEMON_PID")
done
t=$(now_ms)
SB_LIMIT=100 sb "$TMP/mesh64.json" mesh "{\"meps\": $(jlist "${BMEPS[@]}"),
    \"want\": $((BIG - 1)), \"timeout\": 90}" || {
	cat "$TMP/mesh64.json" >&2
	fail "the $BIG daemons did not all reach $((BIG - 1)) peers each"
}
MESH64=$(awk -v a="$t" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }')

BSPEC="{\"meps\": $(jlist "${BMEPS[@]}"), \"pids\": $(jnums "${BDP[@]}")}"
if [ -z "$ONLY" ]; then
sb "$TMP/before64.json" snap "$BSPEC" || fail "metrics of the $BIG daemons"
WANT=$((BIG * PER))
sb_bg "$TMP/converge.json" converge "{\"meps\": $(jlist "${BMEPS[@]}"),
    \"want\": $(( (BIG - 1) * PER )), \"timeout\": 60}"
CONVPID=$SBPID
sb_bg "$TMP/storm.json" storm "{\"eps\": $(jlist "${BEPS[@]}"), \"per\": $PER}"
STORMPID=$SBPID
wait_file "$TMP/storm.json" 90 "$STORMPID"
wait_file "$TMP/converge.json" 90 "$CONVPID"
sb "$TMP/after64.json" snap "$BSPEC" || fail "metrics of the $BIG daemons"

# The check: epmdxctl --json cluster on each daemon, counted (bounded).
count_cluster()
{
	ctl "$1" --json cluster 2>/dev/null | grep -o '"node":' | wc -l
}
ctl_ok=0 ctl_bad=""
end=$(( $(now_ms) + 30000 ))
for ep in "${BEPS[@]}"; do
	while :; do
		c=$(count_cluster "$ep")
		[ "$c" = "$WANT" ] && { ctl_ok=$((ctl_ok + 1)); break; }
		[ "$(now_ms)" -ge "$end" ] && { ctl_bad="$ctl_bad $ep=$c"; break; }
		sleep 0.2
	done
done
CTL64="\"$ctl_ok/$BIG daemons list $WANT${ctl_bad:+; short:$ctl_bad}\""
fi

echo "bench-sync: idle window of the $BIG, ${IDLE} s" >&2
SB_LIMIT=$((IDLE + 60)) sb "$TMP/idle64.json" idle "{\"meps\": \
$(jlist "${BMEPS[@]}"), \"pids\": $(jnums "${BDP[@]}"), \"secs\": $IDLE,
    \"interval\": $SYNC_INTERVAL}" || fail "idle window (64) failed"

if [ -z "$ONLY" ]; then
sb_bg "$TMP/gone64.json" converge "{\"meps\": $(jlist "${BMEPS[@]}"),
    \"want\": 0, \"timeout\": 60}"
GONEPID=$SBPID
sleep 0.5
T_STOP=$EPOCHREALTIME
kill -TERM "$STORMPID"
stop_pid "$STORMPID"
wait_file "$TMP/gone64.json" 90 "$GONEPID"
fi
kill_wait_all "${BDP[@]}"

# ---------------------------------------------------------------- report
ELAPSED=$(( ($(now_ms) - T_START) / 1000 ))
R="$TMP"
timeout -k 2 60 "$PYTHON" "$SB" report "{\"lat\": \"$R/lat.json\", \"idle16\":
    \"$R/idle16.json\", \"changes\": \"$R/changes.json\", \"storm\":
    \"$R/storm.json\", \"converge\": \"$R/converge.json\", \"idle64\":
    \"$R/idle64.json\", \"before64\": \"$R/before64.json\", \"after64\":
    \"$R/after64.json\", \"gone64\": \"$R/gone64.json\",
    \"t_stop\": $T_STOP, \"n\": $N, \"big\": $BIG, \"per\": $PER,
    \"ttl\": $SYNC_TTL, \"interval\": $SYNC_INTERVAL, \"mesh64\": $MESH64,
    \"ctl64\": $CTL64, \"elapsed\": $ELAPSED}" "$JSON" </dev/null ||
    fail "report failed"
exit 0
