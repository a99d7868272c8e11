#!/usr/bin/env python3
#
# fakedns.py: a tiny authoritative DNS server for the dns-*.sh tests.
#
#   fakedns.py ADDR DIR
#
# Binds UDP ADDR port 0 (the kernel picks), writes that port to DIR/port,
# then answers every question, all records with TTL 0:
#   A     of a name listed in DIR/hosts ("name address" lines): that
#         address; of any other name: the addresses in DIR/addrs (one a
#         line);
#   SRV   the records in DIR/srv ("target port" lines), nothing additional;
#   AAAA  and anything else: NOERROR, no records.
# If DIR/once exists when an A question for a name not in DIR/hosts comes,
# its first word ("empty" or "nxdomain") is that one answer instead, and
# the file is removed.
# If DIR/hold exists, questions are held until none came for 0.3 s, then
# all answered, and "burst=<how many>" is logged.
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
with open(os.path.join(d, "port.tmp"), "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
log = open(os.path.join(d, "queries"), "a", buffering=1)
end = time.monotonic() + 300
TYPES = {1: "A", 28: "AAAA", 33: "SRV"}


def question(msg):
    """The question's bytes (name, type, class), its name and type."""
    off, labels = 12, []
    while msg[off] != 0:
        labels.append(msg[off + 1:off + 1 + msg[off]].decode())
        off += 1 + msg[off]
    off += 1
    return (msg[12:off + 4], ".".join(labels).lower(),
            struct.unpack(">H", msg[off:off + 2])[0])


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


def lines(name):
    try:
        with open(os.path.join(d, name)) as f:
            return [l.split() for l in f if l.strip()]
    except OSError:
        return []


def wire(name):
    return b"".join(bytes([len(l)]) + l.encode()
                    for l in name.split(".")) + b"\0"


def answer(msg, peer):
    qid = struct.unpack(">H", msg[:2])[0]
    q, name, qtype = question(msg)
    rcode, rrs, what = 0, [], "nodata"
    hosts = dict((l[0].lower(), l[1]) for l in lines("hosts"))
    if qtype == 1 and name in hosts:
        rrs = [struct.pack(">HHIH", 1, 1, 0, 4) +
               socket.inet_aton(hosts[name])]
        what = hosts[name]
    elif qtype == 1:
        once = read_once()
        if once == "nxdomain":
            rcode, what = 3, "nxdomain"
        elif once == "empty":
            what = "empty"
        else:
            a = [l[0] for l in lines("addrs")]
            rrs = [struct.pack(">HHIH", 1, 1, 0, 4) + socket.inet_aton(x)
                   for x in a]
            what = ",".join(a) or "empty"
    elif qtype == 33:
        srv = lines("srv")
        rrs = [struct.pack(">HHIHHHH", 33, 1, 0, 6 + len(wire(t)), 0, 0,
                           int(p)) + wire(t) for t, p in srv]
        what = ",".join("%s:%s" % (t, p) for t, p in srv) or "empty"
    body = b"".join(b"\xc0\x0c" + rr for rr in rrs)
    hdr = struct.pack(">HHHHHH", qid, 0x8580 | rcode, 1, len(rrs), 0, 0)
    s.sendto(hdr + q + body, peer)
    log.write("%s id=%d sport=%d answer=%s\n" %
              (TYPES.get(qtype, str(qtype)), qid, peer[1], what))


held = []
while time.monotonic() < end:
    s.settimeout(0.3 if held else 0.5)
    try:
        msg, peer = s.recvfrom(4096)
    except socket.timeout:
        if held:
            log.write("burst=%d\n" % len(held))
            for m, p in held:
                answer(m, p)
            held = []
        continue
    if len(msg) < 17:
        continue
    if os.path.exists(os.path.join(d, "hold")):
        held.append((msg, peer))
    else:
        answer(msg, peer)
