"""epmd.py: the EPMD wire client every test suite uses (stdlib only).

Framing (a 2-byte big-endian length), the requests (ALIVE2, PORT_PLEASE2,
NAMES, DUMP, KILL, STOP and epmdx's own 200-206), reading replies, and
where to connect.  The tools built on it (tests/lib/wire.py, the one
raw-bytes command line; tests/hostile/hclient.py; tests/upgrade/epmdcl.py)
and the inline clients of the shell libraries import it with

    sys.path.insert(0, "<repo>/tests/lib"); import epmd

Where to connect, unless a call names it: EPMD_HOST (else 127.0.0.1; an
address with ':' is IPv6), ERL_EPMD_PORT (else 4369), and EPMD_BIND, a
local address to connect from (none by default).  A tool with -H/-p
options sets epmd.HOST/epmd.PORT from them.
"""

import os
import resource
import socket
import struct
import time

HOST = os.environ.get("EPMD_HOST", "127.0.0.1")
PORT = int(os.environ.get("ERL_EPMD_PORT", "") or 4369)
BIND = os.environ.get("EPMD_BIND") or None

MAXPAYLOAD = 3057           # the largest Len a request may have

# Opcodes (src/proto.h).
DUMP = 100                  # 'd'
KILL = 107                  # 'k'
NAMES = 110                 # 'n'
STOP = 115                  # 's'
ALIVE2_X_RESP = 118         # 'v'
PORT2_RESP = 119            # 'w'
ALIVE2 = 120                # 'x'
ALIVE2_RESP = 121           # 'y'
PORT2 = 122                 # 'z'
X_STATUS = 200              # epmdx: key=value status
X_SYNC = 201                # epmdx: opens a peer-sync stream
X_CLUSTER = 202             # epmdx: every node of the cluster
X_RESOLVE = 203             # epmdx: name@host -> PORT2 reply
X_PEERS = 204               # epmdx: sync peers
X_UPGRADE = 205             # epmdx: refused over TCP
X_WATCH = 206               # epmdx: the cluster table, then each change


def _b(s):
    return s.encode() if isinstance(s, str) else s

# ------------------------------------------------------------ encoding


def frame(payload):
    """PAYLOAD with its 2-byte length in front."""
    return struct.pack(">H", len(payload)) + payload


def alive2_body(name, port, ntype=77, proto=0, high=6, low=5, extra=b"",
                nlen=None, elen=None):
    """The ALIVE2 payload; nlen/elen override the length fields."""
    name, extra = _b(name), _b(extra)
    return (bytes([ALIVE2]) +
            struct.pack(">HBBHHH", port, ntype, proto, high, low,
                        len(name) if nlen is None else nlen) + name +
            struct.pack(">H", len(extra) if elen is None else elen) + extra)


def alive2(name, port=1111, ntype=77, proto=0, high=6, low=5, extra=b""):
    """A framed ALIVE2 request."""
    return frame(alive2_body(name, port, ntype, proto, high, low, extra))


def port2(name):
    """A framed PORT_PLEASE2 request."""
    return frame(bytes([PORT2]) + _b(name))


def port2_found(name, port, ntype=77, proto=0, high=6, low=5, extra=b""):
    """The PORT2 reply for a node that is found."""
    name, extra = _b(name), _b(extra)
    return (bytes([PORT2_RESP, 0]) +
            struct.pack(">HBBHHH", port, ntype, proto, high, low,
                        len(name)) + name +
            struct.pack(">H", len(extra)) + extra)


def simple(op, body=b""):
    """A framed request of opcode OP (NAMES, DUMP, KILL, X_STATUS...)."""
    return frame(bytes([op]) + _b(body))


def stop(name):
    """A framed STOP request."""
    return simple(STOP, name)

# ------------------------------------------------------------ decoding


def alive2_reply_len(reply):
    """How long the ALIVE2 reply starting REPLY is ('v': 6, 'y': 4)."""
    return 4 if reply[:1] == bytes([ALIVE2_RESP]) else 6


def creation(reply):
    """The creation of an ALIVE2 reply ('v': 32 bits, 'y': 16 bits)."""
    if reply[:1] == bytes([ALIVE2_X_RESP]):
        return struct.unpack(">I", reply[2:6])[0]
    return struct.unpack(">H", reply[2:4])[0]


def names_port(data):
    """The port in the 4-byte header of a NAMES reply (None if short)."""
    if len(data) < 4:
        return None
    return struct.unpack(">I", data[:4])[0]


def names_lines(data):
    """The text lines of a NAMES reply after its header."""
    lines = data[4:].decode("utf-8", "replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines

# ------------------------------------------------------------ sockets


def raise_nofile():
    """Soft RLIMIT_NOFILE up to the hard limit; returns the new soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connect(host=None, port=None, timeout=10.0, rcvbuf=None, bind=None,
            nodelay=False):
    """A connected TCP socket with TIMEOUT set; raises OSError."""
    host = host or HOST
    bind = bind or BIND
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        if rcvbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if bind:
            s.bind((bind, 0))
        s.settimeout(timeout)
        s.connect((host, PORT if port is None else port))
        if nodelay:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        s.close()
        raise
    return s


def send_chunks(s, data, chunk=0, delay=0.0):
    """Send DATA (in CHUNK-byte pieces DELAY s apart); False if the peer
    closed meanwhile."""
    try:
        if chunk <= 0:
            s.sendall(data)
            return True
        for i in range(0, len(data), chunk):
            if i:
                time.sleep(delay)
            s.sendall(data[i:i + chunk])
        return True
    except OSError:
        return False


def recv_ready(s, n=4096):
    """recv on a socket a selector found readable: the bytes, b"" on EOF
    or an error, None when there was nothing after all."""
    try:
        return s.recv(n)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def read_until_close(s, secs=10.0, limit=64 << 20):
    """Read until EOF (or a reset), SECS or LIMIT bytes: (data, closed)."""
    end = time.monotonic() + secs
    out = bytearray()
    while len(out) < limit:
        left = end - time.monotonic()
        if left <= 0:
            return bytes(out), False
        s.settimeout(left)
        try:
            b = s.recv(65536)
        except socket.timeout:
            return bytes(out), False
        except OSError:
            return bytes(out), True
        if not b:
            return bytes(out), True
        out += b
    return bytes(out), False


def read_n(s, n, secs=5.0):
    """Up to N bytes, less on EOF or after SECS."""
    end = time.monotonic() + secs
    out = bytearray()
    while len(out) < n:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            b = s.recv(n - len(out))
        except socket.timeout:
            break
        if not b:
            break
        out += b
    return bytes(out)


def read_alive2_reply(s, secs=10.0):
    """An ALIVE2 reply ('v'+5 or 'y'+3 bytes), less on EOF, timeout or
    other bytes: (reply, closed)."""
    end = time.monotonic() + secs
    r = b""
    while len(r) < alive2_reply_len(r):
        if r and r[:1] not in (bytes([ALIVE2_X_RESP]), bytes([ALIVE2_RESP])):
            break
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            b = s.recv(alive2_reply_len(r) - len(r))
        except socket.timeout:
            break
        except OSError:
            return r, True
        if not b:
            return r, True
        r += b
    return r, False


def request(data, host=None, port=None, secs=10.0):
    """Send DATA (framed already) on a new connection and return all the
    bytes until the server closes; socket.timeout if it does not within
    SECS."""
    s = connect(host, port, secs)
    try:
        s.sendall(data)
        out, closed = read_until_close(s, secs)
        if not closed:
            raise socket.timeout("no EOF within %.1fs" % secs)
        return out
    finally:
        s.close()


def register(name, port=1111, host=None, epmd_port=None, secs=10.0,
             **fields):
    """A registration held open: (socket, reply).  Raises ConnectionError
    when the reply is short or says refused, socket.timeout when late."""
    s = connect(host, epmd_port, secs)
    try:
        s.sendall(alive2(name, port, **fields))
        reply, _ = read_alive2_reply(s, secs)
        if len(reply) < alive2_reply_len(reply):
            raise ConnectionError("no ALIVE2 reply: %r" % reply)
        if reply[1] != 0:
            raise ConnectionError("ALIVE2 refused: %s" % reply.hex())
    except BaseException:
        s.close()
        raise
    return s, reply


# ------------------------------------------------------------- WATCH


def watch(host=None, port=None, secs=10.0, rcvbuf=None):
    """A WATCH subscription: a connected socket, the request sent."""
    s = connect(host, port, secs, rcvbuf=rcvbuf)
    try:
        s.sendall(simple(X_WATCH))
    except BaseException:
        s.close()
        raise
    return s


class WatchLines:
    """The lines of a WATCH stream, each a list of its tab-separated
    fields (str; names keep their \\xHH escapes)."""

    def __init__(self, s):
        self.s = s
        self.buf = b""
        self.closed = False

    def feed(self, data):
        """Bytes read elsewhere (a selector): the whole lines they end."""
        if not data:
            self.closed = True
            return []
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        return [ln.decode("utf-8", "replace").split("\t") for ln in lines]

    def next(self, secs=5.0):
        """The next line, or None on EOF or after SECS."""
        end = time.monotonic() + secs
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or self.closed:
                return None
            self.s.settimeout(left)
            try:
                b = self.s.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                b = b""
            if not b:
                self.closed = True
                return None
            self.buf += b
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.decode("utf-8", "replace").split("\t")
