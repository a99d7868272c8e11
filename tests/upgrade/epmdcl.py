#!/usr/bin/env python3
"""epmdcl.py: EPMD clients for the live-upgrade tests (stdlib only; the
wire layer is tests/lib/epmd.py).

Every node set is generated, not stored: node(i, prefix) gives the i-th
registration (name, port, type, proto, high, low, extra), so the holder,
the hammer and the checkers agree on the expected replies without files.
Names are distinct; some are UTF-8, some 255 characters long, some nodes
are hidden or speak only version 5 (the 'y' ALIVE2 reply); Extra is empty,
short with NUL bytes, or 1020 bytes.

Subcommands (all take -p PORT, -H HOST default 127.0.0.1):

  hold -n N [--prefix P] [--skip-ext] [--reconnect S] [--lifetime S]
      Register nodes 0..N-1, each on its own connection (RLIMIT_NOFILE
      soft limit raised to the hard one).  Prints "registered=R failed=F",
      then serves commands read from stdin, one answer line each:
        check              sockets all open?  "open=O eof=E data=D"
                           (a 0.5 s select, then a peek on readable ones)
        replies FILE       write "index hexreply" per registration; "ok N"
        close I [I...]     close those registrations; "ok"
        register I [I...]  register them again; "I=hexreply ..." per index
        events FILE        (--reconnect) write "time index what" lines
        quit               exit (closing everything)
      With --reconnect S, registrations are watched: on EOF the node
      re-registers S seconds later, retrying every S seconds, as OTP 24+
      nodes do with epmd (RECONNECT_TIME 2 s).  --lifetime bounds the run.

  hammer -n N [--prefix P] [--exclude I,J] [--threads T] [--names-pct P]
         [--rr] [--stop FILE] [--duration S] [--log FILE] [--timeout S]
      Loop PORT_PLEASE2 for random (or, with --rr, round-robin) known
      names and NAMES, each on a new connection, until FILE exists or S
      seconds pass.  A failure: connect error, a timeout, or a reply other
      than the expected one (PORT2: byte for byte; NAMES: identical to the
      first NAMES reply, which must list every known name).  --log writes
      "start end kind index ok" per request (wall-clock seconds; end is
      start plus the latency measured on the monotonic clock).
      Prints "ops=N failed=F max_ms=X" and up to 20 failures on stderr.

  port2 -n N [--prefix P] [--exclude I,J] [--out FILE]
      PORT_PLEASE2 for every node; prints "ok=N bad=M" and, with --out,
      writes "index hexreply" per node.

  request HEX
      Send one framed request (payload as hex), print the reply as hex.

  state --kind K --epmd BIN -p PORT [--log FILE] [--keep-copy]
      Start BIN -port PORT -d with EPMDX_HANDOVER_FD pointing at a state
      built here (K: valid, garbage, header-only, bad-crc, truncated,
      version, not-socket), EPMDX_HANDOVER_LISTEN naming a listening
      socket made here on 127.0.0.1:PORT, and a connected TCP socket the
      state (for valid, bad-crc, truncated, not-socket) calls the
      registration "half".  Prints "pid N", then waits (10 s) for the
      daemon's "ready" log line and prints "peer eof" or "peer open"
      (whether our end of that connection saw EOF within 3 s), then keeps
      its end open for --hold seconds or until SIGTERM, and then stops
      the daemon (SIGTERM, 5 s, SIGKILL) and reaps it.  --keep-copy: a
      copy of the handed-over connection stays open here, as one stays
      in systemd's fd store.

  analyze --log FILE [--from T --to T] [--json]
      Latency of a hammer log: requests, failures, max and p99 of the
      requests that started inside [from, to] (wall-clock seconds), how
      many were under way at some moment of it, and the longest wait of
      a client that retries a name until it gets an answer.
"""

import argparse
import json
import os
import random
import resource
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import epmd  # noqa: E402

# ------------------------------------------------------------ node set


def node(i, prefix="r"):
    """The i-th registration: (name, port, type, proto, high, low, extra)."""
    if i % 97 == 5:
        # 254 characters (stock finds no 255-character name with PORT2),
        # most of them 3 bytes in UTF-8 (about 760 bytes).
        head = "%s%du" % (prefix, i)
        name = (head + "\u20ac" * (254 - len(head))).encode()
    elif i % 89 == 7:
        head = "%s%dL" % (prefix, i)
        name = (head + "L" * (254 - len(head))).encode()
    elif i % 10 == 3:
        name = ("%s\u00f1%d" % (prefix, i)).encode()
    else:
        name = ("%s%d" % (prefix, i)).encode()
    port = 20000 + i % 40000
    ntype = 72 if i % 5 == 0 else 77
    high, low = (5, 5) if i % 11 == 0 else (6, 5)
    if i % 101 == 9:
        extra = bytes((i + k) % 256 for k in range(1020))
    elif i % 3 == 0:
        # NUL bytes first, inside and last.
        extra = b"\x00" + bytes((i * k) % 256 for k in range(1, 1 + i % 40)) \
            + b"\x00"
    else:
        extra = b""
    return name, port, ntype, 0, high, low, extra


def alive2_req(n):
    name, port, ntype, proto, high, low, extra = n
    return epmd.alive2(name, port, ntype, proto, high, low, extra)


port2_req = epmd.port2


def port2_resp(n):
    return epmd.port2_found(*n)


def names_line(n):
    return b"name " + n[0] + b" at port " + str(n[1]).encode() + b"\n"


creation = epmd.creation
raise_nofile = epmd.raise_nofile


def parse_set(s):
    out = set()
    for part in (s or "").split(","):
        if part:
            out.add(int(part))
    return out

# ------------------------------------------------------------ wire


def request(host, port, data, timeout=2.0):
    return epmd.request(data, host, port, timeout)


def register(host, port, n, timeout=5.0):
    """Open a connection, send ALIVE2, return (socket, reply) or raise."""
    name, nport, ntype, proto, high, low, extra = n
    s, reply = epmd.register(name, nport, host, port, timeout, ntype=ntype,
                             proto=proto, high=high, low=low, extra=extra)
    s.setblocking(False)
    return s, reply

# ------------------------------------------------------------ hold


class Holder:
    def __init__(self, a):
        self.a = a
        self.socks = {}         # index -> socket
        self.replies = {}       # index -> reply bytes
        self.events = []        # (time, index, what)
        self.due = {}           # index -> time of the next attempt
        self.sel = selectors.DefaultSelector()

    def log(self, i, what):
        self.events.append((time.time(), i, what))

    def reg(self, i):
        s, reply = register(self.a.host, self.a.port, node(i, self.a.prefix))
        self.socks[i] = s
        self.replies[i] = reply
        if self.a.reconnect:
            self.sel.register(s, selectors.EVENT_READ, i)
        return reply

    def drop(self, i):
        s = self.socks.pop(i, None)
        if s is not None:
            if self.a.reconnect:
                self.sel.unregister(s)
            s.close()

    def check(self):
        socks = list(self.socks.values())
        readable = set()
        # select() in slices: more than FD_SETSIZE descriptors here.
        sel = selectors.DefaultSelector()
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        for key, _ in sel.select(0.5):
            readable.add(key.fileobj)
        sel.close()
        eof = data = 0
        for s in readable:
            try:
                b = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            except OSError:
                eof += 1
                continue
            if b:
                data += 1
            else:
                eof += 1
        return "open=%d eof=%d data=%d" % (len(socks) - eof - data, eof, data)

    def command(self, line):
        w = line.split()
        if not w:
            return "?"
        if w[0] == "check":
            return self.check()
        if w[0] == "replies":
            with open(w[1], "w") as f:
                for i in sorted(self.replies):
                    f.write("%d %s\n" % (i, self.replies[i].hex()))
            return "ok %d" % len(self.replies)
        if w[0] == "close":
            for i in map(int, w[1:]):
                self.drop(i)
            return "ok"
        if w[0] == "register":
            out = []
            for i in map(int, w[1:]):
                try:
                    out.append("%d=%s" % (i, self.reg(i).hex()))
                except (OSError, ConnectionError) as e:
                    out.append("%d=error:%s" % (i, str(e).replace(" ", "_")))
            return " ".join(out)
        if w[0] == "events":
            with open(w[1], "w") as f:
                for t, i, what in self.events:
                    f.write("%.6f %d %s\n" % (t, i, what))
            return "ok %d" % len(self.events)
        if w[0] == "quit":
            return None
        return "? " + w[0]

    def watch(self, timeout):
        """--reconnect: notice EOFs, re-register when due."""
        for key, _ in self.sel.select(timeout):
            i = key.data
            s = key.fileobj
            try:
                b = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                b = b""
            if not b:
                self.drop(i)
                self.log(i, "eof")
                self.due[i] = time.monotonic() + self.a.reconnect
        now = time.monotonic()
        for i in sorted(k for k, t in self.due.items() if t <= now):
            try:
                self.reg(i)
                del self.due[i]
                self.log(i, "registered")
            except (OSError, ConnectionError):
                self.due[i] = now + self.a.reconnect
                self.log(i, "retry")

    def run(self):
        raise_nofile()
        ok = bad = 0
        for i in range(self.a.n):
            try:
                self.reg(i)
                ok += 1
            except (OSError, ConnectionError) as e:
                bad += 1
                print("register %d: %s" % (i, e), file=sys.stderr)
        print("registered=%d failed=%d" % (ok, bad), flush=True)
        end = time.monotonic() + self.a.lifetime
        stdin = sys.stdin.buffer
        os.set_blocking(stdin.fileno(), False)
        insel = selectors.DefaultSelector()
        insel.register(stdin, selectors.EVENT_READ)
        pending = b""
        while time.monotonic() < end:
            if self.a.reconnect:
                self.watch(0.02)
            if insel.select(0 if self.a.reconnect else 0.05):
                try:
                    b = stdin.read()
                except BlockingIOError:
                    b = None
                if b == b"":
                    return 0
                pending += b or b""
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                ans = self.command(line.decode())
                if ans is None:
                    return 0
                print(ans, flush=True)
        return 0


def cmd_hold(a):
    return Holder(a).run()

# ------------------------------------------------------------ hammer


class Hammer:
    def __init__(self, a):
        self.a = a
        excl = parse_set(a.exclude)
        self.known = [i for i in range(a.n) if i not in excl]
        self.expect = {i: port2_resp(node(i, a.prefix)) for i in self.known}
        self.names_base = None
        self.lock = threading.Lock()
        self.records = []
        self.failures = []
        self.ops = 0
        self.failed = 0
        self.stop = False
        self.rr = 0

    def fail(self, what):
        with self.lock:
            self.failed += 1
            if len(self.failures) < 20:
                self.failures.append(what)

    def baseline(self):
        try:
            reply = request(self.a.host, self.a.port, b"\x00\x01n", 5.0)
        except OSError as e:
            raise SystemExit("hammer: first NAMES failed: %s" % e)
        body = reply[4:]
        missing = [i for i in self.known
                   if names_line(node(i, self.a.prefix)) not in body]
        if missing:
            raise SystemExit("hammer: first NAMES lacks %d known names "
                             "(e.g. %d)" % (len(missing), missing[0]))
        self.names_base = reply

    def one(self, rnd):
        a = self.a
        if a.names_pct and rnd.random() * 100 < a.names_pct:
            kind, i, data = "names", -1, b"\x00\x01n"
            want = self.names_base
        else:
            if a.rr:
                with self.lock:
                    i = self.known[self.rr % len(self.known)]
                    self.rr += 1
            else:
                i = rnd.choice(self.known)
            kind, data = "port2", port2_req(node(i, a.prefix)[0])
            want = self.expect[i]
        w0, t0 = time.time(), time.monotonic()
        ok = False
        try:
            got = request(a.host, a.port, data, a.timeout)
            ok = got == want
            if not ok:
                self.fail("%s %d: got %s" % (kind, i, got[:40].hex()))
        except socket.timeout:
            self.fail("%s %d: timeout" % (kind, i))
        except OSError as e:
            self.fail("%s %d: %s" % (kind, i, e))
        t1 = w0 + (time.monotonic() - t0)
        with self.lock:
            self.ops += 1
            self.records.append((w0, t1, kind, i, ok))

    def loop(self, seed):
        rnd = random.Random(seed)
        while not self.stop:
            self.one(rnd)

    def run(self):
        a = self.a
        if a.names_pct:
            self.baseline()
        threads = [threading.Thread(target=self.loop, args=(k,), daemon=True)
                   for k in range(a.threads)]
        for t in threads:
            t.start()
        print("started", flush=True)
        end = time.monotonic() + a.duration
        while time.monotonic() < end:
            if a.stop and os.path.exists(a.stop):
                break
            time.sleep(0.02)
        self.stop = True
        for t in threads:
            t.join(a.timeout + 3)
        if a.log:
            with open(a.log, "w") as f:
                for t0, t1, kind, i, ok in self.records:
                    f.write("%.6f %.6f %s %d %d\n" % (t0, t1, kind, i, ok))
        mx = max((r[1] - r[0] for r in self.records), default=0.0)
        for f in self.failures:
            print("hammer: failure: %s" % f, file=sys.stderr)
        print("ops=%d failed=%d max_ms=%.1f" % (self.ops, self.failed,
                                                mx * 1000), flush=True)
        return 0 if self.failed == 0 else 1


def cmd_hammer(a):
    raise_nofile()
    return Hammer(a).run()

# ------------------------------------------------------------ port2


def cmd_port2(a):
    excl = parse_set(a.exclude)
    ok = bad = 0
    lines = []
    for i in range(a.n):
        if i in excl:
            continue
        n = node(i, a.prefix)
        try:
            got = request(a.host, a.port, port2_req(n[0]), 5.0)
        except OSError as e:
            got = ("error:%s" % e).encode()
        lines.append("%d %s\n" % (i, got.hex()))
        if got == port2_resp(n):
            ok += 1
        else:
            bad += 1
    if a.out:
        with open(a.out, "w") as f:
            f.writelines(lines)
    print("ok=%d bad=%d" % (ok, bad))
    return 0 if bad == 0 else 1


def cmd_request(a):
    try:
        got = request(a.host, a.port, bytes.fromhex(a.hex), a.timeout)
    except OSError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    print(got.hex())
    return 0

# ------------------------------------------------------------ state

HO_META, HO_ADD, HO_DEL, HO_UNREG, HO_LISTEN, HO_KEPT, HO_ORIGIN, \
    HO_ONODE, HO_REPLY, HO_END = range(1, 11)


def ho_record(rtype, payload):
    head = struct.pack(">BI", rtype, len(payload))
    return head + payload + struct.pack(">I", zlib.crc32(head + payload))


def ho_header(version=1, generation=1):
    return b"EPMDXST1" + struct.pack(">IQ", version, generation)


def ho_state(kind, port, lfd, cfd, memfd):
    """A handover state of the given kind; see the usage above."""
    if kind == "garbage":
        return bytes(random.Random(5).randrange(256) for _ in range(4096))
    meta = ho_record(HO_META, struct.pack(">IqQQQ", port, int(time.time()),
                                          1, 0, 0))
    listen = ho_record(HO_LISTEN, struct.pack(">i", lfd))
    name, extra = b"half", b"\x00x\x00"
    add_fd = memfd if kind == "not-socket" else cfd
    add = ho_record(HO_ADD, struct.pack(">QiIHBBHHH", 1, add_fd, 1234567,
                                        5555, 77, 0, 6, 5, len(name)) + name
                    + struct.pack(">H", len(extra)) + extra)
    unreg = ho_record(HO_UNREG, struct.pack(">IiHH", 99, -1, 4444, 4)
                      + b"gone")
    end = ho_record(HO_END, b"")
    good = ho_header() + meta + listen + unreg + add + end
    if kind in ("valid", "not-socket"):
        return good
    if kind == "header-only":
        return ho_header()
    if kind == "version":
        return ho_header(version=2) + good[20:]
    if kind == "bad-crc":
        bad = bytearray(add)
        bad[-1] ^= 0x01
        return ho_header() + meta + listen + unreg + bytes(bad) + end
    if kind == "truncated":
        # Everything but END and the last byte of the ADD record.
        return ho_header() + meta + listen + unreg + add[:-1]
    raise SystemExit("state: unknown kind %s" % kind)


def cmd_state(a):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", a.port))
    lsock.listen(128)
    # A registration-like TCP connection: we keep "peer", hand over "conn".
    aux = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    aux.bind(("127.0.0.1", 0))
    aux.listen(1)
    peer = socket.create_connection(aux.getsockname(), 5)
    conn, _ = aux.accept()
    aux.close()
    memfd = os.memfd_create("epmdx-test-state", 0)
    lfd, cfd = lsock.fileno(), conn.fileno()
    data = ho_state(a.kind, a.port, lfd, cfd, memfd)
    os.write(memfd, data)
    os.lseek(memfd, 0, os.SEEK_SET)
    env = dict(os.environ)
    env["EPMDX_HANDOVER_FD"] = str(memfd)
    env["EPMDX_HANDOVER_LISTEN"] = str(lfd)
    logf = open(a.log, "ab") if a.log else subprocess.DEVNULL
    p = subprocess.Popen([a.epmd, "-port", str(a.port), "-d"], env=env,
                         pass_fds=(memfd, lfd, cfd), stdin=subprocess.DEVNULL,
                         stdout=logf, stderr=logf, start_new_session=False)
    print("pid %d" % p.pid, flush=True)
    # Only the daemon holds them now (but for --keep-copy: a second copy
    # of the connection stays here, as one stays in systemd's fd store).
    os.close(memfd)
    lsock.close()
    if not a.keep_copy:
        conn.close()
    end = time.monotonic() + 10
    ready = False
    while time.monotonic() < end and p.poll() is None:
        if a.log:
            with open(a.log, "rb") as f:
                if b" ready port=" in f.read():
                    ready = True
                    break
        time.sleep(0.05)
    print("ready" if ready else "not ready", flush=True)
    peer.settimeout(3.0)
    try:
        b = peer.recv(1)
        print("peer eof" if not b else "peer data", flush=True)
    except socket.timeout:
        print("peer open", flush=True)
    except OSError:
        print("peer eof", flush=True)
    # Our end stays open (the registration lives) for --hold seconds, or
    # until SIGTERM; then the daemon, our child, is stopped and reaped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        end = time.monotonic() + a.hold
        while time.monotonic() < end and p.poll() is None:
            time.sleep(0.05)
    finally:
        peer.close()
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
    return 0

# ------------------------------------------------------------ analyze


def analyze(path, t_from=None, t_to=None):
    recs = []
    with open(path) as f:
        for line in f:
            t0, t1, kind, i, ok = line.split()
            recs.append((float(t0), float(t1), kind, int(i), ok == "1"))
    recs.sort()
    inwin = [r for r in recs if (t_from is None or r[0] >= t_from) and
             (t_to is None or r[0] <= t_to)]
    # Requests under way at some moment of the window.
    overlap = [r for r in recs if (t_to is None or r[0] <= t_to) and
               (t_from is None or r[1] >= t_from)]
    lat = sorted(r[1] - r[0] for r in inwin)

    def pct(p):
        if not lat:
            return 0.0
        return lat[min(len(lat) - 1, int(p * len(lat)))]
    # The longest a client retrying one name waits for its answer: from
    # the start of the first failed lookup of a run to the end of the next
    # successful lookup of that name (or its own latency, when it worked).
    first_fail = {}
    longest = 0.0
    unanswered = 0
    for t0, t1, kind, i, ok in sorted(recs, key=lambda r: r[1]):
        if not ok:
            first_fail.setdefault(i, t0)
            continue
        start = first_fail.pop(i, t0)
        longest = max(longest, t1 - start)
    if recs:
        last = max(r[1] for r in recs)
        for i, start in first_fail.items():
            unanswered += 1
            longest = max(longest, last - start)
    return {
        "requests": len(recs),
        "failed": sum(1 for r in recs if not r[4]),
        "window_requests": len(inwin),
        "window_overlap": len(overlap),
        "window_failed": sum(1 for r in inwin if not r[4]),
        "window_max_ms": round(lat[-1] * 1000, 2) if lat else 0.0,
        "window_p99_ms": round(pct(0.99) * 1000, 2),
        "window_p50_ms": round(pct(0.50) * 1000, 2),
        "longest_wait_ms": round(longest * 1000, 2),
        "never_answered": unanswered,
    }


def cmd_analyze(a):
    r = analyze(a.log, a.t_from, a.t_to)
    if a.json:
        print(json.dumps(r))
    else:
        print(" ".join("%s=%s" % kv for kv in r.items()))
    return 0

# ------------------------------------------------------------ main


def main():
    p = argparse.ArgumentParser(description="EPMD clients for upgrade tests")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("-p", "--port", type=int, required=True)
        sp.add_argument("-H", "--host", default="127.0.0.1")
        sp.add_argument("--prefix", default="r")
        sp.add_argument("-n", type=int, default=0)
        sp.add_argument("--exclude", default="")
        sp.add_argument("--timeout", type=float, default=2.0)
    sp = sub.add_parser("hold")
    common(sp)
    sp.add_argument("--reconnect", type=float, default=0.0)
    sp.add_argument("--lifetime", type=float, default=170.0)
    sp = sub.add_parser("hammer")
    common(sp)
    sp.add_argument("--threads", type=int, default=4)
    sp.add_argument("--names-pct", type=float, default=10.0)
    sp.add_argument("--rr", action="store_true")
    sp.add_argument("--stop", default="")
    sp.add_argument("--duration", type=float, default=120.0)
    sp.add_argument("--log", default="")
    sp = sub.add_parser("port2")
    common(sp)
    sp.add_argument("--out", default="")
    sp = sub.add_parser("request")
    common(sp)
    sp.add_argument("hex")
    sp = sub.add_parser("state")
    common(sp)
    sp.add_argument("--kind", required=True)
    sp.add_argument("--hold", type=float, default=0.0)
    sp.add_argument("--epmd", required=True)
    sp.add_argument("--log", default="")
    sp.add_argument("--keep-copy", action="store_true",
                    help="keep our copy of the handed-over connection, as "
                    "systemd's fd store does")
    sp = sub.add_parser("analyze")
    sp.add_argument("--log", required=True)
    sp.add_argument("--from", dest="t_from", type=float, default=None)
    sp.add_argument("--to", dest="t_to", type=float, default=None)
    sp.add_argument("--json", action="store_true")
    a = p.parse_args()
    return {"hold": cmd_hold, "hammer": cmd_hammer, "port2": cmd_port2,
            "request": cmd_request, "state": cmd_state,
            "analyze": cmd_analyze}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
