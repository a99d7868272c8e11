#!/usr/bin/env python3
"""rawsync.py: raw sync-stream actors for tests/sync (stdlib only).

    rawsync.py COMMAND ARGS...

Every socket is on 127.0.0.0/8 and every loop is bounded in time.  The
opening of a sync stream is the framed request [Len:16 = 34] [201]
[Version = 1] [Random:32]; the acceptor answers 56 bytes (its random and
its header).  Commands:

  proxy LPORT TOPORT RECORD SECS
        listen on 127.0.0.1:LPORT and forward every connection to
        127.0.0.1:TOPORT, both ways; append the random of each opening
        that passes (hex, one line per stream) to RECORD
  replay PORT HEX
        open a stream to 127.0.0.1:PORT whose opening carries the random
        HEX; print "answered" (the 56-byte answer came) or "closed"
  silent LPORT LOG SECS [answer]
        accept connections on 127.0.0.1:LPORT; read the opening, answer
        it with 56 random bytes when "answer" is given, then say nothing;
        LOG gets "listening" first, "open T" when one is accepted and
        "closed T DUR" when the other end closes it (T, DUR in seconds,
        monotonic)
  flood PORT FIRST NSRC PER SECS READY
        from 127.0.0.FIRST .. 127.0.0.(FIRST+NSRC-1), keep PER silent
        streams each open to 127.0.0.1:PORT (an opening, then nothing),
        opening a new one whenever one is closed, for SECS seconds;
        READY gets the count once NSRC*PER have been opened once, and at
        the end "opened=N closed=M"
  cap PORT SRC N SECS
        from 127.0.0.SRC, open N streams one after another (each waits
        for its answer); then watch them for SECS seconds and print
        "open=A closed=C" and the indexes closed, oldest first
"""

import os
import selectors
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import epmd  # noqa: E402

OPEN_LEN = 34
ANSWER_LEN = 56


def opening(rand):
    return epmd.frame(bytes([epmd.X_SYNC, 1]) + rand)


def recv_exact(s, n, deadline):
    return epmd.read_n(s, n, max(0.05, deadline - time.monotonic()))


def cmd_proxy(lport, toport, record, secs):
    lport, toport, secs = int(lport), int(toport), float(secs)
    end = time.monotonic() + secs
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", lport))
    ls.listen(16)
    ls.settimeout(0.2)
    lock = threading.Lock()

    def pump(a, b, first):
        try:
            if first:
                head = recv_exact(a, 2 + OPEN_LEN, time.monotonic() + 5)
                if len(head) == 2 + OPEN_LEN and head[2] == 201:
                    with lock, open(record, "a") as f:
                        f.write(head[4:].hex() + "\n")
                b.sendall(head)
            a.settimeout(None)
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    while time.monotonic() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        try:
            u = socket.create_connection(("127.0.0.1", toport), timeout=2)
        except OSError:
            c.close()
            continue
        for a, b, first in ((c, u, True), (u, c, False)):
            threading.Thread(target=pump, args=(a, b, first),
                             daemon=True).start()
    return 0


def cmd_replay(port, hexrand):
    rand = bytes.fromhex(hexrand)
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=2)
    s.sendall(opening(rand))
    got = recv_exact(s, ANSWER_LEN, time.monotonic() + 2)
    print("answered" if len(got) == ANSWER_LEN else "closed")
    s.close()
    return 0


def cmd_silent(lport, log, secs, *mode):
    lport, secs = int(lport), float(secs)
    answer = "answer" in mode
    end = time.monotonic() + secs
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", lport))
    ls.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    t0 = time.monotonic()

    def note(line):
        with open(log, "a") as f:
            f.write(line + "\n")

    note("listening")

    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.1):
            if key.data is None:
                c, _ = ls.accept()
                now = time.monotonic()
                note("open %.3f" % (now - t0))
                head = recv_exact(c, 2 + OPEN_LEN, now + 2)
                if answer and len(head) == 2 + OPEN_LEN:
                    c.sendall(os.urandom(ANSWER_LEN))
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, now)
                continue
            c = key.fileobj
            d = epmd.recv_ready(c, 65536)
            if d == b"":
                now = time.monotonic()
                note("closed %.3f %.3f" % (now - t0, now - key.data))
                sel.unregister(c)
                c.close()
    return 0


def cmd_flood(port, first, nsrc, per, secs, ready):
    port, first, nsrc, per = int(port), int(first), int(nsrc), int(per)
    end = time.monotonic() + float(secs)
    sel = selectors.DefaultSelector()
    opened = closed = 0
    live = {}
    announced = False

    def start(src):
        nonlocal opened
        s = socket.socket()
        s.setblocking(False)
        try:
            s.bind(("127.0.0.%d" % src, 0))
            s.connect_ex(("127.0.0.1", port))
        except OSError:
            s.close()
            return False
        sel.register(s, selectors.EVENT_WRITE, src)
        live[s] = src
        opened += 1
        return True

    for i in range(nsrc * per):
        start(first + i % nsrc)
    while time.monotonic() < end:
        if not announced and opened >= nsrc * per:
            with open(ready, "w") as f:
                f.write("%d\n" % opened)
            announced = True
        for key, ev in sel.select(timeout=0.1):
            s, src = key.fileobj, key.data
            if ev & selectors.EVENT_WRITE:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err == 0:
                    try:
                        s.send(opening(os.urandom(32)))
                    except OSError:
                        err = 1
                if err == 0:
                    sel.modify(s, selectors.EVENT_READ, src)
                    continue
                d = b""
            else:
                d = epmd.recv_ready(s)
            if d is None or d:
                continue
            sel.unregister(s)
            del live[s]
            s.close()
            closed += 1
            if time.monotonic() < end:
                start(src)
    with open(ready, "a") as f:
        f.write("opened=%d closed=%d\n" % (opened, closed))
    for s in list(live):
        s.close()
    return 0


def cmd_cap(port, src, n, secs):
    port, n, secs = int(port), int(n), float(secs)
    socks = []
    for i in range(n):
        s = socket.socket()
        s.bind(("127.0.0.%s" % src, 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
        s.sendall(opening(os.urandom(32)))
        got = recv_exact(s, ANSWER_LEN, time.monotonic() + 2)
        socks.append(s if len(got) == ANSWER_LEN else None)
    closed = set(i for i, s in enumerate(socks) if s is None)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        for i, s in enumerate(socks):
            if i in closed:
                continue
            s.settimeout(0.01)
            try:
                if s.recv(1) == b"":
                    closed.add(i)
            except socket.timeout:
                pass
            except OSError:
                closed.add(i)
        time.sleep(0.05)
    print("open=%d closed=%d" % (n - len(closed), len(closed)))
    print(" ".join(str(i) for i in sorted(closed)))
    for s in socks:
        if s is not None:
            s.close()
    return 0


def main():
    cmds = {"proxy": cmd_proxy, "replay": cmd_replay, "silent": cmd_silent,
            "flood": cmd_flood, "cap": cmd_cap}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    return cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
