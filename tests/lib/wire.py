#!/usr/bin/env python3
"""wire.py: the raw-bytes EPMD command line of the test suites, over
tests/lib/epmd.py (stdlib only).

Modes (exactly one; the default is "send"):

  send (default)  Build a payload from --hex/--str/--fill (in the order
                  given), frame it with a 2-byte big-endian length unless
                  --raw, send it (optionally in --chunk N byte pieces with
                  --delay S seconds between them), then read until the
                  server closes or --timeout S passes.
                  stdout: the reply as lowercase hex on one line (empty
                  line if no bytes); with --elapsed a second line with the
                  seconds from connect to close (or to the timeout).
                  --out raw writes the reply bytes unchanged instead.

  --names         Send NAMES ('n'). stdout: "port N" (the 4-byte header),
                  then the rest of the reply verbatim. Exit 1 if fewer than
                  4 bytes came back.

  --register NAME NODEPORT
                  Send ALIVE2 (--type 77 --proto 0 --high 6 --low 5
                  --extra HEX by default, --nlen/--elen override the length
                  fields). Print the reply hex as soon as a complete reply
                  ('v'+5 bytes or 'y'+3 bytes) is in, flush, then hold the
                  connection until the server closes it or --timeout S
                  (default 60) passes. With --then HEX, send those raw bytes
                  --then-delay S after the reply. Last line: "closed E" (E =
                  seconds since the reply) or "open".

  --bulk-register N
                  Register N names PREFIX1..PREFIXN (--prefix, default "b"),
                  node ports --base+i (default 10000), each on its own
                  connection (RLIMIT_NOFILE soft limit is raised to the hard
                  limit first). Prints "registered=R failed=F" when all are
                  answered, flushes, then holds every connection until
                  --timeout S (default 60) or SIGTERM; prints "closed=C" (how
                  many the server closed) at the end.

  --bulk-lookup N
                  PORT_PLEASE2 for PREFIX1..PREFIXN one after the other;
                  prints "found=F wrong=W missing=M" (wrong: found but the
                  port is not --base+i).

  --idle N        Open N connections that send nothing; print "open=N"
                  (how many connected), flush, hold them for --timeout S
                  (default 60) or until SIGTERM, then print "closed=C".

Common: -p/--port PORT (default ERL_EPMD_PORT, else 4369), -H/--host
HOST (default EPMD_HOST, else 127.0.0.1; ::1 works), --timeout S;
EPMD_BIND sets the local address to connect from.

Exit status: 0 the server closed the connection (EOF or reset), 2 it was
still open when the timeout passed, 1 usage or connection error. The bulk
modes exit 0 when everything they did succeeded, else 1.

Examples:
  wire.py -p 4369 --str n                    # NAMES, reply as hex
  wire.py -p 4369 --raw --hex 0000           # Len 0
  wire.py -p 4369 --str n --fill 3056        # Len 3057
  wire.py -p 4369 --raw --hex 0001 --str n --chunk 1 --delay 0.2
  wire.py -p 4369 --str 'zfoo\\x00'
  wire.py -p 4369 --register foo 1234 --high 5 --timeout 30 &
"""

import argparse
import codecs
import os
import selectors
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmd  # noqa: E402


def die(msg):
    sys.stderr.write("wire.py: %s\n" % msg)
    sys.exit(1)


def connect(host, port, timeout=10.0):
    try:
        return epmd.connect(host, port, timeout, nodelay=True)
    except OSError as e:
        die("connect %s port %d: %s" % (host, port, e))


frame = epmd.frame
send_chunks = epmd.send_chunks


def read_until_close(s, deadline):
    """Read until EOF/reset or deadline. Returns (bytes, closed)."""
    return epmd.read_until_close(s, deadline - time.monotonic())


def mode_send(a, payload):
    data = payload if a.raw else frame(payload)
    t0 = time.monotonic()
    s = connect(a.host, a.port)
    send_chunks(s, data, a.chunk, a.delay)
    buf, closed = read_until_close(s, time.monotonic() + a.timeout)
    el = time.monotonic() - t0
    s.close()
    if a.out == "raw":
        sys.stdout.buffer.write(buf)
    else:
        sys.stdout.write(buf.hex() + "\n")
    if a.elapsed:
        sys.stdout.write("%.2f\n" % el)
    sys.stdout.flush()
    return 0 if closed else 2


def mode_names(a):
    s = connect(a.host, a.port)
    s.sendall(epmd.simple(epmd.NAMES))
    buf, closed = read_until_close(s, time.monotonic() + a.timeout)
    s.close()
    if len(buf) < 4:
        die("NAMES: short reply %r" % buf)
    sys.stdout.write("port %d\n" % epmd.names_port(buf))
    sys.stdout.flush()
    sys.stdout.buffer.write(buf[4:])
    return 0 if closed else 2


def mode_register(a, name, nodeport):
    extra = bytes.fromhex(a.extra)
    s = connect(a.host, a.port)
    send_chunks(s, frame(epmd.alive2_body(name, nodeport, a.type, a.proto,
                                          a.high, a.low, extra, a.nlen,
                                          a.elen)),
                a.chunk, a.delay)
    # Read the reply: 'v' + 5 bytes or 'y' + 3 bytes, or until close.
    buf, closed = epmd.read_alive2_reply(s, min(a.timeout, 10.0))
    sys.stdout.write(buf.hex() + "\n")
    sys.stdout.flush()
    t0 = time.monotonic()
    if not closed:
        hold_end = t0 + a.timeout
        if a.then is not None:
            then_at = t0 + a.then_delay
            more, closed = read_until_close(s, min(then_at, hold_end))
            if not closed and time.monotonic() < hold_end:
                try:
                    s.sendall(bytes.fromhex(a.then))
                except OSError:
                    closed = True
        if not closed:
            more, closed = read_until_close(s, hold_end)
    s.close()
    if closed:
        sys.stdout.write("closed %.2f\n" % (time.monotonic() - t0))
    else:
        sys.stdout.write("open\n")
    sys.stdout.flush()
    return 0 if closed else 2


raise_nofile = epmd.raise_nofile


class Term(Exception):
    pass


def on_term(signum, frame_):
    raise Term()


def hold(socks, seconds):
    """Watch socks until the deadline or SIGTERM; return how many closed."""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    closed = 0
    deadline = time.monotonic() + seconds
    try:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(min(left, 1.0)):
                s = key.fileobj
                d = epmd.recv_ready(s)
                if d == b"":
                    sel.unregister(s)
                    closed += 1
    except Term:
        pass
    return closed


def mode_bulk_register(a, n):
    raise_nofile()
    signal.signal(signal.SIGTERM, on_term)
    socks, failed = [], 0
    try:
        for i in range(1, n + 1):
            name = ("%s%d" % (a.prefix, i)).encode()
            s = connect(a.host, a.port)
            s.sendall(epmd.alive2(name, a.base + i))
            buf, _ = epmd.read_alive2_reply(s, 10.0)
            if len(buf) == 6 and buf[:2] == b"v\x00":
                socks.append(s)
            else:
                failed += 1
                s.close()
    except Term:
        return 1
    print("registered=%d failed=%d" % (len(socks), failed), flush=True)
    closed = hold(socks, a.timeout)
    print("closed=%d" % closed, flush=True)
    return 0 if failed == 0 else 1


def mode_bulk_lookup(a, n):
    found = wrong = missing = 0
    for i in range(1, n + 1):
        name = ("%s%d" % (a.prefix, i)).encode()
        s = connect(a.host, a.port)
        s.sendall(epmd.port2(name))
        buf, _ = read_until_close(s, time.monotonic() + 10.0)
        s.close()
        if buf[:2] == b"w\x00" and len(buf) >= 4:
            if struct.unpack(">H", buf[2:4])[0] == a.base + i:
                found += 1
            else:
                wrong += 1
        else:
            missing += 1
    print("found=%d wrong=%d missing=%d" % (found, wrong, missing), flush=True)
    return 0 if found == n else 1


def mode_idle(a, n):
    raise_nofile()
    signal.signal(signal.SIGTERM, on_term)
    socks = []
    try:
        for _ in range(n):
            try:
                socks.append(epmd.connect(a.host, a.port, 10.0))
            except OSError:
                break
    except Term:
        return 1
    print("open=%d" % len(socks), flush=True)
    closed = hold(socks, a.timeout)
    print("closed=%d" % closed, flush=True)
    return 0 if len(socks) == n else 1


class Append(argparse.Action):
    """Collect --hex/--str/--fill in command-line order."""

    def __call__(self, parser, ns, value, option_string=None):
        parts = getattr(ns, "parts", None) or []
        parts.append((self.dest, value))
        ns.parts = parts


def build_payload(parts):
    out = b""
    for kind, v in parts or []:
        if kind == "hex":
            out += bytes.fromhex(v)
        elif kind == "str":
            out += codecs.escape_decode(v.encode("utf-8"))[0]
        elif kind == "fill":
            n, _, b = v.partition(":")
            out += bytes([int(b, 0) if b else 0x41]) * int(n)
    return out


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-H", "--host", default=epmd.HOST)
    p.add_argument("-p", "--port", type=int, default=epmd.PORT)
    p.add_argument("--timeout", type=float, default=None,
                   help="read/hold time in seconds (send: 5, others: 60)")
    p.add_argument("--hex", dest="hex", action=Append, help="payload bytes in hex")
    p.add_argument("--str", dest="str", action=Append,
                   help="payload bytes, Python escapes (\\x00, \\n) allowed")
    p.add_argument("--fill", dest="fill", action=Append, metavar="N[:BYTE]",
                   help="N copies of BYTE (default 0x41 'A')")
    p.add_argument("--raw", action="store_true", help="do not add the length header")
    p.add_argument("--chunk", type=int, default=0, help="send in pieces of N bytes")
    p.add_argument("--delay", type=float, default=0.0, help="seconds between pieces")
    p.add_argument("--out", choices=("hex", "raw"), default="hex")
    p.add_argument("--elapsed", action="store_true",
                   help="also print seconds until close/timeout")
    p.add_argument("--names", action="store_true")
    p.add_argument("--register", nargs=2, metavar=("NAME", "NODEPORT"))
    p.add_argument("--type", type=int, default=77)
    p.add_argument("--proto", type=int, default=0)
    p.add_argument("--high", type=int, default=6)
    p.add_argument("--low", type=int, default=5)
    p.add_argument("--extra", default="", help="ALIVE2 Extra, hex")
    p.add_argument("--nlen", type=int, default=None, help="override ALIVE2 Nlen")
    p.add_argument("--elen", type=int, default=None, help="override ALIVE2 Elen")
    p.add_argument("--then", metavar="HEX", help="register: send after the reply")
    p.add_argument("--then-delay", type=float, default=0.5)
    p.add_argument("--bulk-register", type=int, metavar="N")
    p.add_argument("--bulk-lookup", type=int, metavar="N")
    p.add_argument("--prefix", default="b")
    p.add_argument("--base", type=int, default=10000)
    p.add_argument("--idle", type=int, metavar="N")
    a = p.parse_args()

    if a.register:
        if a.timeout is None:
            a.timeout = 60.0
        name = codecs.escape_decode(a.register[0].encode("utf-8"))[0]
        return mode_register(a, name, int(a.register[1]))
    if a.bulk_register is not None:
        if a.timeout is None:
            a.timeout = 60.0
        return mode_bulk_register(a, a.bulk_register)
    if a.bulk_lookup is not None:
        return mode_bulk_lookup(a, a.bulk_lookup)
    if a.idle is not None:
        if a.timeout is None:
            a.timeout = 60.0
        return mode_idle(a, a.idle)
    if a.timeout is None:
        a.timeout = 5.0
    if a.names:
        return mode_names(a)
    return mode_send(a, build_payload(getattr(a, "parts", None)))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
