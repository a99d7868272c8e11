#!/usr/bin/env python3
"""hclient.py: hostile EPMD clients for tests/hostile (stdlib only; the
wire layer is tests/lib/epmd.py).

    hclient.py -p PORT COMMAND [ARGS]

Every socket goes to 127.0.0.1 (or ::1, or EPMD_HOST, from
EPMD_BIND when set: tests in a network namespace of their own use
them) and carries a timeout; every loop
is bounded in count and time.  Checks that fail print "hclient: ..." on
stderr and exit 1; usage errors exit 2.  Commands:

  names                      print "port N" and the NAMES lines
  status                     print the STATUS reply (key=value lines)
  port2 NAME                 print "port N" or "notfound"
  req OP [TEXT]              one request (opcode OP, decimal, then TEXT);
                             print the reply: its length, then its bytes
                             (Python repr)
  hold N READYFILE SECS      open N idle connections, write N to
                             READYFILE, hold them for SECS (or until
                             killed); "-" for SECS reads until stdin EOF
  register PREFIX N READYFILE SECS [NAMELEN]
                             register PREFIX0000.. (N nodes), write N to
                             READYFILE, hold them for SECS
  fill PREFIX MAX READYFILE SECS
                             register one node after another until one
                             is not answered (or MAX), write the count,
                             hold them for SECS; SIGUSR1 drops one
  frames KIND                the bad-frame cases of KIND (zero, oversized,
                             garbage, pipelined, bytewise): check the reply
  rst N                      N times: NAMES, read a few bytes, RST
  names-noread N READYFILE SECS
                             N connections with a tiny receive buffer,
                             each sends NAMES and never reads; write the
                             count to READYFILE, hold them for SECS
  halfclose-request N        NAMES then shutdown(SHUT_WR): the full reply
                             (N nodes listed) still arrives
  halfclose-idle SECS        half-close at once (and after one byte): the
                             daemon closes within SECS
  storm WORKERS ROUNDS       WORKERS sockets at once, each registering and
                             dropping ROUNDS times; replies checked
  random SEED SECS SOCKS [--upgrade]
                             seeded random frames of every request type
"""

import os
import random
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import epmd  # noqa: E402

MAXPAYLOAD = epmd.MAXPAYLOAD
KEEPER = "keeper0000"       # the frames tests run "register keeper 1"
KEEPER_PORT = 1024


def die(msg):
    sys.stderr.write("hclient: %s\n" % msg)
    sys.stderr.flush()
    os._exit(1)


raise_nofile = epmd.raise_nofile
frame = epmd.frame
read_n = epmd.read_n


def alive2(name, port=1111, high=6, low=5, extra=b"", ntype=77):
    return epmd.alive2(name, port, ntype, 0, high, low, extra)


def connect(timeout=5.0, rcvbuf=None, host=None):
    return epmd.connect(host, None, timeout, rcvbuf)


def read_until_close(s, limit=64 << 20, deadline=10.0):
    """Everything until EOF; raises socket.timeout if none by deadline."""
    out, closed = epmd.read_until_close(s, deadline, limit)
    if not closed and len(out) < limit:
        raise socket.timeout("no EOF within %.1fs" % deadline)
    return out


def request(payload, deadline=10.0):
    return epmd.request(frame(payload), secs=deadline)


def parse_names(data):
    if len(data) < 4:
        die("NAMES reply shorter than its port header: %r" % data)
    return epmd.names_port(data), epmd.names_lines(data)


def names_set(data):
    port, lines = parse_names(data)
    got = set()
    for ln in lines:
        if not (ln.startswith("name ") and " at port " in ln):
            die("malformed NAMES line: %r" % ln)
        got.add(ln[5:ln.rindex(" at port ")])
    return got


def ready(path, n):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % n)
    os.rename(tmp, path)


def hold_for(secs):
    """Sleep SECS (bounded), or until stdin reaches EOF if SECS is "-"."""
    if secs == "-":
        sys.stdin.read()
        return
    end = time.monotonic() + float(secs)
    while time.monotonic() < end:
        time.sleep(min(1.0, max(0.0, end - time.monotonic())))


def check_alive2_reply(r, high=6):
    """A well-formed ALIVE2 reply; returns (result, creation)."""
    if high >= 6:
        if len(r) != 6 or r[0] != ord("v"):
            die("malformed ALIVE2_X reply: %r" % r)
        res, cr = r[1], struct.unpack(">I", r[2:6])[0]
    else:
        if len(r) != 4 or r[0] != ord("y"):
            die("malformed ALIVE2 reply: %r" % r)
        res, cr = r[1], struct.unpack(">H", r[2:4])[0]
    if res not in (0, 1):
        die("ALIVE2 result %d" % res)
    if res == 1 and cr != 99:
        die("refused ALIVE2 with creation %d, want 99" % cr)
    if res == 0 and high >= 6 and cr < 4:
        die("ALIVE2 creation %d < 4" % cr)
    if res == 0 and high < 6 and cr not in (1, 2, 3):
        die("ALIVE2 (v5) creation %d not in 1..3" % cr)
    return res, cr


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def register_one(name, port=1111, timeout=10.0):
    s = connect(timeout)
    s.sendall(alive2(name, port))
    r = read_n(s, 6, timeout)
    res, _ = check_alive2_reply(r)
    if res != 0:
        s.close()
        die("registration of %s refused" % name)
    return s


# ------------------------------------------------------------- commands

def cmd_names(args):
    data = request(b"n")
    port, lines = parse_names(data)
    print("port %d" % port)
    for ln in lines:
        print(ln)


def cmd_status(args):
    sys.stdout.write(request(bytes([epmd.X_STATUS])).decode("utf-8", "replace"))


def cmd_port2(args):
    r = request(b"z" + args[0].encode())
    if len(r) == 2 and r[:2] == b"w\x01":
        print("notfound")
    elif len(r) >= 14 and r[:2] == b"w\x00":
        print("port %d" % struct.unpack(">H", r[2:4])[0])
    else:
        die("malformed PORT2 reply %r" % r)


def cmd_req(args):
    body = args[1].encode() if len(args) > 1 else b""
    r = request(bytes([int(args[0])]) + body)
    print(len(r))
    print(repr(r))


def open_n(n, rcvbuf=None, send=None):
    """N connections (each sending SEND), or die; RLIMIT_NOFILE raised."""
    raise_nofile()
    socks = []
    for i in range(n):
        try:
            s = connect(10.0, rcvbuf=rcvbuf)
            if send is not None:
                s.sendall(send)
        except OSError as e:
            die("connection %d of %d: %s" % (i + 1, n, e))
        socks.append(s)
    return socks


def cmd_hold(args):
    n, readyfile, secs = int(args[0]), args[1], args[2]
    socks = open_n(n)
    ready(readyfile, len(socks))
    hold_for(secs)
    for s in socks:
        s.close()


def cmd_names_noread(args):
    n, readyfile, secs = int(args[0]), args[1], args[2]
    socks = open_n(n, rcvbuf=2048, send=frame(b"n"))
    ready(readyfile, len(socks))
    hold_for(secs)
    for s in socks:
        rst_close(s)


def cmd_register(args):
    prefix, n, readyfile, secs = args[0], int(args[1]), args[2], args[3]
    namelen = int(args[4]) if len(args) > 4 else 0
    raise_nofile()
    socks = []
    for i in range(n):
        name = "%s%04d" % (prefix, i)
        if len(name) < namelen:
            name += "x" * (namelen - len(name))
        socks.append(register_one(name, 1024 + i % 60000))
    ready(readyfile, len(socks))
    hold_for(secs)
    for s in socks:
        s.close()


def cmd_fill(args):
    """Register until the daemon stops answering (out of descriptors)."""
    prefix, n, readyfile, secs = args[0], int(args[1]), args[2], args[3]
    raise_nofile()
    socks = []
    for i in range(n):
        try:
            s = connect(3.0)
            s.sendall(alive2("%s%04d" % (prefix, i), 2000 + i))
            r = read_n(s, 6, 3.0)
        except OSError:
            break
        if not r:
            s.close()
            break
        res, _ = check_alive2_reply(r)
        if res != 0:
            die("registration %d refused" % i)
        socks.append(s)

    def drop_one(signum, frame):
        if socks:
            socks.pop(0).close()
    signal.signal(signal.SIGUSR1, drop_one)
    ready(readyfile, len(socks))
    hold_for(secs)
    for s in socks:
        s.close()


def expect_close_no_reply(data, what, close_within=3.0, pre=None):
    """Send data (in one write), expect EOF with nothing at all."""
    s = connect()
    try:
        if pre is not None:
            pre(s)
        if data:
            s.sendall(data)
        t0 = time.monotonic()
        try:
            got = read_until_close(s, deadline=close_within)
        except socket.timeout:
            die("%s: not closed within %.1fs" % (what, close_within))
        except ConnectionResetError:
            got = b""
        if got:
            die("%s: expected no reply, got %r" % (what, got[:64]))
        return time.monotonic() - t0
    finally:
        s.close()


def cmd_frames(args):
    kind = args[0]
    if kind == "zero":
        # Len 0: stock closes at once with no reply (invalid packet size).
        expect_close_no_reply(b"\x00\x00", "Len 0")
        expect_close_no_reply(b"\x00\x00n", "Len 0 + opcode")
        expect_close_no_reply(b"\x00\x00" + b"\x00" * 64, "Len 0 + zeros")
    elif kind == "oversized":
        # Len >= 3058: closed at once, without waiting for the payload.
        for ln in (MAXPAYLOAD + 1, 0x1000, 0x7fff, 0xffff):
            expect_close_no_reply(struct.pack(">H", ln), "Len %d" % ln)
            expect_close_no_reply(struct.pack(">H", ln) + b"n" * 100,
                                  "Len %d + 100 bytes" % ln)
        # The largest legal frame still gets its answer (NAMES).
        r = request(b"n" + b"\x00" * (MAXPAYLOAD - 1))
        names_set(r)
        # One byte more than a legal frame carries: no reply, closed.
        expect_close_no_reply(frame(b"n" + b"\x00" * (MAXPAYLOAD - 1)) +
                              b"!", "3060 bytes in one write")
    elif kind == "garbage":
        for op in (0, 1, 97, 112, 113, 118, 119, 121, 127, 128, 199, 207,
                   255):
            expect_close_no_reply(frame(bytes([op]) + b"abc"),
                                  "opcode %d" % op)
        expect_close_no_reply(b"GET / HTTP/1.0\r\n\r\n", "HTTP request")
        expect_close_no_reply(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
                              "TLS hello")
        expect_close_no_reply(frame(b"x\x00"), "ALIVE2 truncated")
        expect_close_no_reply(frame(b"z"), "PORT2 without a name")
    elif kind == "pipelined":
        # Two requests in one write: stock answers neither.
        expect_close_no_reply(frame(b"n") + frame(b"n"), "NAMES+NAMES")
        expect_close_no_reply(frame(b"z" + KEEPER.encode()) + frame(b"n"),
                              "PORT2+NAMES")
        expect_close_no_reply(alive2("pipe1") + frame(b"n"),
                              "ALIVE2+NAMES")
        expect_close_no_reply(frame(b"n") + b"\x00", "NAMES + 1 byte")
        # ... and the ALIVE2 of a refused pipeline registered nothing.
        r = request(b"z" + b"pipe1")
        if r != b"w\x01":
            die("pipelined ALIVE2 registered pipe1: PORT2 gave %r" % r)
    elif kind == "bytewise":
        def trickle(data, gap=0.02):
            s = connect()
            for i in range(len(data)):
                s.sendall(data[i:i + 1])
                time.sleep(gap)
            return s
        s = trickle(frame(b"n"))
        got = names_set(read_until_close(s))
        s.close()
        if KEEPER not in got:
            die("NAMES sent byte by byte does not list %s: %r" %
                (KEEPER, got))
        s = trickle(frame(b"z" + KEEPER.encode()))
        r = read_until_close(s)
        s.close()
        if len(r) < 14 or r[:2] != b"w\x00" or \
                r[2:4] != struct.pack(">H", KEEPER_PORT):
            die("PORT2 sent byte by byte: %r" % r)
        s = trickle(alive2("bytewise", 2345), 0.01)
        res, _ = check_alive2_reply(read_n(s, 6))
        if res != 0:
            die("ALIVE2 sent byte by byte was refused")
        r = request(b"zbytewise")
        if r[:4] != b"w\x00\x09\x29":
            die("bytewise node not found after registering: %r" % r)
        s.close()
        # The header alone, one byte, then nothing: no reply yet.
        s = trickle(b"\x00")
        s.settimeout(0.5)
        try:
            b = s.recv(1)
            die("reply or close after one byte of header: %r" % b)
        except socket.timeout:
            pass
        s.close()
    else:
        die("unknown frames kind %s" % kind)


def cmd_rst(args):
    n = int(args[0])
    resets = 0
    for i in range(n):
        s = connect(rcvbuf=4096)
        s.sendall(frame(b"n"))
        r = read_n(s, 64, 5.0)
        if len(r) < 4:
            die("round %d: only %d bytes of NAMES before RST" % (i, len(r)))
        rst_close(s)
        resets += 1
    print("resets %d" % resets)


def cmd_halfclose_request(args):
    want = int(args[0])
    for rcvbuf in (None, 4096):
        s = connect(rcvbuf=rcvbuf)
        s.sendall(frame(b"n"))
        s.shutdown(socket.SHUT_WR)
        if rcvbuf:
            time.sleep(0.5)      # let the daemon fill the small window
        data = read_until_close(s, deadline=20.0)
        s.close()
        got = names_set(data)
        if len(got) != want:
            die("half-closed NAMES (rcvbuf %s): %d names, want %d" %
                (rcvbuf, len(got), want))
    print("ok %d names" % want)


def cmd_halfclose_idle(args):
    secs = float(args[0])
    dt = []
    dt.append(expect_close_no_reply(
        b"", "half-closed before any byte", secs,
        pre=lambda s: s.shutdown(socket.SHUT_WR)))

    def one_byte(s):
        s.sendall(b"\x00")
        s.shutdown(socket.SHUT_WR)
    dt.append(expect_close_no_reply(b"", "half-closed after one byte",
                                    secs, pre=one_byte))

    def partial(s):
        s.sendall(alive2("halfclosed")[:9])
        s.shutdown(socket.SHUT_WR)
    dt.append(expect_close_no_reply(b"", "half-closed mid-ALIVE2", secs,
                                    pre=partial))
    print("closed after %s s" % " ".join("%.2f" % t for t in dt))


def cmd_storm(args):
    workers, rounds = int(args[0]), int(args[1])
    raise_nofile()
    errors = []
    counts = {"ok": 0}
    lock = threading.Lock()
    start = threading.Barrier(workers)

    def work(w):
        try:
            start.wait(30)
            for i in range(rounds):
                name = "storm%02d_%03d" % (w, i)
                high = 6 if (w + i) % 4 else 5
                s = connect(10.0)
                s.sendall(alive2(name, 3000 + w, high=high))
                r = read_n(s, 6 if high >= 6 else 4, 10.0)
                res, _ = check_alive2_reply(r, high)
                if res != 0:
                    raise RuntimeError("%s refused" % name)
                # Drop it three ways: close, a stray byte, RST.
                how = i % 3
                if how == 1:
                    s.sendall(b"!")
                    s.close()
                elif how == 2:
                    rst_close(s)
                else:
                    s.close()
                with lock:
                    counts["ok"] += 1
        except BaseException as e:  # noqa: report every failure
            with lock:
                errors.append("worker %d: %r" % (w, e))
            try:
                start.abort()
            except Exception:
                pass

    threads = [threading.Thread(target=work, args=(w,), daemon=True)
               for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    if any(t.is_alive() for t in threads):
        die("storm workers still running after 300 s")
    if errors:
        die("; ".join(errors[:5]))
    if counts["ok"] != workers * rounds:
        die("%d registrations, want %d" % (counts["ok"], workers * rounds))
    print("registered and dropped %d" % counts["ok"])


# Opcodes of every request type, ours included, and neighbours.
OPS = list(range(100, 123)) + list(range(200, 206))


def random_frame(rng, ops, names):
    """One random request: mostly framed, some malformed on purpose."""
    kind = rng.random()
    op = rng.choice(ops)
    if kind < 0.55:
        # A valid length prefix around a random payload.
        n = rng.choice((0, 0, 1, 2, 5, 13, 14, 20, 64, 255, 1100,
                        rng.randint(0, MAXPAYLOAD - 1)))
        body = rng.randbytes(n)
        return frame(bytes([op]) + body)
    if kind < 0.70:
        # Structured requests with random fields.
        name = rng.choice(names + ["r%d" % rng.randint(0, 50),
                                   "\u00e9" * rng.randint(0, 300)])
        which = rng.random()
        if which < 0.5:
            extra = rng.randbytes(rng.choice((0, 1, 1020, 1021)))
            return alive2(name, rng.randint(0, 65535), rng.randint(0, 7),
                          rng.randint(0, 7), extra, rng.getrandbits(8))
        if which < 0.8:
            return frame(b"z" + name.encode())
        return frame(bytes([rng.choice((115, 203))]) + name.encode() +
                     (b"@" + b"host" if rng.random() < 0.5 else b""))
    if kind < 0.80:
        # A length prefix that lies (too short or too long).
        body = bytes([op]) + rng.randbytes(rng.randint(0, 300))
        ln = max(0, len(body) + rng.choice((-5, -1, 1, 7, 4000)))
        return struct.pack(">H", min(ln, 0xffff)) + body
    if kind < 0.90:
        # Bad lengths: 0, just over the maximum, the top.
        return struct.pack(">H", rng.choice((0, MAXPAYLOAD + 1, 0xffff))) + \
            bytes([op]) * rng.randint(0, 10)
    # Plain random bytes.
    return rng.randbytes(rng.randint(1, 200))


def cmd_random(args):
    seed, secs, nsock = int(args[0]), float(args[1]), int(args[2])
    upgrade = "--upgrade" in args[3:]
    ops = OPS if upgrade else [o for o in OPS if o != 205]
    names = ["keep%04d" % i for i in range(5)]
    stats = {"frames": 0, "replies": 0, "bytes": 0, "errors": 0}
    lock = threading.Lock()
    fatal = []
    deadline = time.monotonic() + secs

    def work(k):
        rng = random.Random(seed * 1000 + k)
        local = {"frames": 0, "replies": 0, "bytes": 0, "errors": 0}
        held = []
        try:
            while time.monotonic() < deadline:
                data = random_frame(rng, ops, names)
                try:
                    s = connect(2.0, host="::1" if rng.random() < 0.2
                                else epmd.HOST)
                except OSError as e:
                    local["errors"] += 1
                    if local["errors"] > 1000:
                        raise RuntimeError("cannot connect: %s" % e)
                    time.sleep(0.01)
                    continue
                try:
                    # Random splits, small random gaps.
                    i = 0
                    while i < len(data):
                        j = min(len(data), i + rng.choice(
                            (1, 2, 3, 7, 64, 4096)))
                        s.sendall(data[i:j])
                        i = j
                        if rng.random() < 0.1:
                            time.sleep(rng.random() * 0.01)
                    end = rng.random()
                    if end < 0.1:
                        rst_close(s)
                        s = None
                    elif end < 0.15 and len(held) < 20:
                        held.append(s)      # keep it open a while
                        s = None
                    else:
                        s.settimeout(rng.choice((0.02, 0.05, 0.3)))
                        try:
                            while True:
                                b = s.recv(65536)
                                if not b:
                                    break
                                local["replies"] += 1
                                local["bytes"] += len(b)
                        except socket.timeout:
                            pass
                except OSError:
                    local["errors"] += 1
                finally:
                    if s is not None:
                        s.close()
                local["frames"] += 1
                if len(held) >= 20 or (held and rng.random() < 0.05):
                    h = held.pop(0)
                    if rng.random() < 0.5:
                        rst_close(h)
                    else:
                        h.close()
        except BaseException as e:  # noqa
            fatal.append("socket %d: %r" % (k, e))
        for h in held:
            h.close()
        with lock:
            for key in stats:
                stats[key] += local[key]

    threads = [threading.Thread(target=work, args=(k,), daemon=True)
               for k in range(nsock)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(secs + 60)
    if any(t.is_alive() for t in threads):
        die("random clients still running %d s after their deadline" % 60)
    if fatal:
        die("; ".join(fatal[:5]))
    print("seed %d: %d frames, %d replies (%d bytes), %d socket errors" %
          (seed, stats["frames"], stats["replies"], stats["bytes"],
           stats["errors"]))


COMMANDS = {
    "names": cmd_names, "status": cmd_status, "port2": cmd_port2,
    "req": cmd_req,
    "hold": cmd_hold, "register": cmd_register, "fill": cmd_fill,
    "frames": cmd_frames, "rst": cmd_rst,
    "names-noread": cmd_names_noread,
    "halfclose-request": cmd_halfclose_request,
    "halfclose-idle": cmd_halfclose_idle, "storm": cmd_storm,
    "random": cmd_random,
}


def main(argv):
    if len(argv) < 3 or argv[0] != "-p" or argv[2] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 2
    epmd.PORT = int(argv[1])
    try:
        COMMANDS[argv[2]](argv[3:])
    except (IndexError, ValueError) as e:
        sys.stderr.write("hclient: bad arguments: %s\n" % e)
        return 2
    except OSError as e:
        die("%s: %s" % (argv[2], e))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
