"""fleet.py: the client side of tests/bench/fleet.sh, one cluster at a time.

    fleet.py SPEC.json OUT.json

SPEC: {"eps": ["127.0.0.1:P", ...], "hosts": ["f1", ...], "pids": [...],
"store_pids": [...], "regs": R, "burst": K, "idle": SECS}.  Opens a WATCH
subscription on every daemon (their pushes time the convergence), waits
until every daemon's table holds the other daemons' warm-up nodes, then:

  converge  R registrations, one at a time, on the daemons in turn (raw
            ALIVE2, socket kept); a sample is the time from the ALIVE2
            write to the last daemon's "+" line for it
  idle      CPU (utime+stime of the daemons, and of the store) and bytes
            written (/proc/PID/io wchar) over SECS seconds of nothing
  burst     K registrations at once on the first daemon: CPU and bytes
            written by everyone until every daemon has all K, per
            registration; the WATCH lines our subscriptions received are
            taken off the daemons' bytes (they are not sync traffic)

Every wait is bounded; a cluster that does not converge is reported so.
"""
import json, os, selectors, socket, sys, time

sys.path.insert(0, os.environ["TESTS_LIB"])
import epmd

mono = time.monotonic
TICK = os.sysconf("SC_CLK_TCK")


def split_ep(ep):
    host, port = ep.rsplit(":", 1)
    return host, int(port)


def cpu(pids):
    """Seconds of CPU used by pids so far."""
    t = 0
    for p in pids:
        try:
            f = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
            t += int(f[11]) + int(f[12])
        except OSError:
            pass
    return t / TICK


def wchar(pids):
    n = 0
    for p in pids:
        try:
            for line in open("/proc/%d/io" % p):
                if line.startswith("wchar:"):
                    n += int(line.split()[1])
        except OSError:
            pass
    return n


class Watchers:
    """One WATCH per daemon; seen[i] = {node: first time its + came}."""

    def __init__(self, eps):
        self.sel = selectors.DefaultSelector()
        self.buf, self.seen, self.bytes = {}, [], 0
        for i, ep in enumerate(eps):
            h, p = split_ep(ep)
            s = epmd.connect(h, p, timeout=10)
            s.sendall(epmd.simple(epmd.X_WATCH))
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, i)
            self.buf[i] = b""
            self.seen.append({})

    def pump(self, secs):
        for key, _ in self.sel.select(secs):
            i = key.data
            try:
                d = key.fileobj.recv(1 << 16)
            except BlockingIOError:
                continue
            if not d:
                raise SystemExit("fleet: daemon %d closed its WATCH" % i)
            now = mono()
            self.bytes += len(d)
            lines = (self.buf[i] + d).split(b"\n")
            self.buf[i] = lines.pop()
            for l in lines:
                f = l.split(b"\t")
                if f[0] == b"+" and len(f) > 2:
                    self.seen[i].setdefault(f[1] + b"@" + f[2], now)

    def wait_all(self, nodes, secs):
        """Until every daemon saw every node; the time each last came."""
        end = mono() + secs
        while mono() < end:
            if all(n in s for s in self.seen for n in nodes):
                return [max(s[n] for s in self.seen) for n in nodes]
            self.pump(0.05)
        return None


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def register(ep, name, nport):
    h, p = split_ep(ep)
    s = epmd.connect(h, p, timeout=10)
    s.sendall(epmd.alive2(name, nport))
    return s


def main():
    sp = json.load(open(sys.argv[1]))
    eps, hosts = sp["eps"], sp["hosts"]
    pids, spids = sp["pids"], sp.get("store_pids", [])
    n = len(eps)
    res = {"daemons": n}
    w = Watchers(eps)
    held = []
    # Warm-up: one node per daemon, everyone sees all: the cluster is up.
    t0 = mono()
    for i, ep in enumerate(eps):
        held.append(register(ep, "w%d" % i, 20000 + i))
    warm = [b"w%d@%s" % (i, hosts[i].encode()) for i in range(n)]
    if w.wait_all(warm, sp.get("settle", 120)) is None:
        res["error"] = "no convergence of the warm-up nodes in %ds" % \
            sp.get("settle", 120)
        json.dump(res, open(sys.argv[2], "w"))
        return
    res["warmup_s"] = mono() - t0
    time.sleep(1)

    # converge: one at a time.
    lat = []
    for r in range(sp["regs"]):
        i = r % n
        name = "c%d" % r
        t = mono()
        held.append(register(eps[i], name, 21000 + r))
        got = w.wait_all([b"%s@%s" % (name.encode(), hosts[i].encode())], 30)
        if got is None:
            res["error"] = "registration %s not seen everywhere in 30 s" % name
            break
        lat.append((got[0] - t) * 1000)
        time.sleep(0.05)
    if lat:
        res["converge_ms"] = {"n": len(lat), "p50": pct(lat, 50),
                              "p99": pct(lat, 99), "max": max(lat)}

    # idle
    time.sleep(1)
    c0, s0, b0, sb0 = cpu(pids), cpu(spids), wchar(pids), wchar(spids)
    t = mono()
    end = t + sp["idle"]
    while mono() < end:
        w.pump(0.2)
    secs = mono() - t
    res["idle"] = {
        "secs": secs,
        "cpu_pct": 100 * (cpu(pids) - c0) / secs,
        "store_cpu_pct": 100 * (cpu(spids) - s0) / secs,
        "bytes_per_s": (wchar(pids) - b0 + wchar(spids) - sb0) / secs,
    }

    # burst: K at once on daemon 0.
    k = sp["burst"]
    c0, s0, b0, sb0, wb0 = cpu(pids), cpu(spids), wchar(pids), \
        wchar(spids), w.bytes
    t = mono()
    names = []
    for j in range(k):
        held.append(register(eps[0], "b%d" % j, 22000 + j))
        names.append(b"b%d@%s" % (j, hosts[0].encode()))
    got = w.wait_all(names, 60)
    if got is None:
        res["error"] = "burst of %d not seen everywhere in 60 s" % k
    else:
        time.sleep(0.5)
        sync_bytes = (wchar(pids) - b0) - (w.bytes - wb0) + \
            (wchar(spids) - sb0)
        res["burst"] = {
            "n": k, "all_seen_ms": (max(got) - t) * 1000,
            "cpu_ms_per_reg": 1000 * (cpu(pids) - c0) / k,
            "store_cpu_ms_per_reg": 1000 * (cpu(spids) - s0) / k,
            "bytes_per_reg": sync_bytes / k,
        }
    json.dump(res, open(sys.argv[2], "w"), indent=1)
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
