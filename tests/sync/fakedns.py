#!/usr/bin/env python3
#
# fakedns.py: a tiny authoritative DNS server for the dns-*.sh tests.
#
#   fakedns.py ADDR DIR
#
# Binds UDP ADDR port 0 (the kernel picks), writes that port to DIR/port,
# then answers every question:
#   A     with the addresses listed in DIR/addrs (one a line, TTL 0);
#   AAAA  and anything else: NOERROR, no records.
# If DIR/once exists when an A question comes, its first word ("empty" or
# "nxdomain") is that one answer instead, and the file is removed.
# Each question is logged to DIR/queries, one line:
#   <qtype> id=<id> sport=<source port> answer=<what was answered>
# Exits after 300 s whatever happens.

import os
import socket
import struct
import sys
import time

addr, d = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 0))
s.settimeout(0.5)
with open(os.path.join(d, "port.tmp"), "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
log = open(os.path.join(d, "queries"), "a", buffering=1)
end = time.monotonic() + 300


def question(msg):
    """The question's bytes (name, type, class) and its type."""
    off = 12
    while msg[off] != 0:
        off += 1 + msg[off]
    off += 1
    return msg[12:off + 4], struct.unpack(">H", msg[off:off + 2])[0]


def read_once():
    """The one-shot answer asked for, consumed; "" if none."""
    p = os.path.join(d, "once")
    try:
        with open(p) as f:
            what = f.read().split()[0]
        os.unlink(p)
        return what
    except (OSError, IndexError):
        return ""


def addrs():
    try:
        with open(os.path.join(d, "addrs")) as f:
            return [l.strip() for l in f if l.strip()]
    except OSError:
        return []


while time.monotonic() < end:
    try:
        msg, peer = s.recvfrom(4096)
    except socket.timeout:
        continue
    if len(msg) < 17:
        continue
    qid = struct.unpack(">H", msg[:2])[0]
    q, qtype = question(msg)
    rcode, rrs, what = 0, [], "nodata"
    if qtype == 1:
        once = read_once()
        if once == "nxdomain":
            rcode, what = 3, "nxdomain"
        elif once == "empty":
            what = "empty"
        else:
            rrs = addrs()
            what = ",".join(rrs) or "empty"
    body = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 0, 4) +
                    socket.inet_aton(a) for a in rrs)
    hdr = struct.pack(">HHHHHH", qid, 0x8580 | rcode, 1, len(rrs), 0, 0)
    s.sendto(hdr + q + body, peer)
    log.write("%s id=%d sport=%d answer=%s\n" %
              ("A" if qtype == 1 else "AAAA" if qtype == 28 else qtype,
               qid, peer[1], what))
