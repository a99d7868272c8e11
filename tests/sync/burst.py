"""burst.py: N registrations at once, for the batching tests.

    burst.py PORT N READY RELEASE

Connects N sockets to the daemon on 127.0.0.1:PORT, then writes an ALIVE2
(b0 ... bN-1, ports 40000 + i) on each back to back, reads the N replies,
writes "bad=K" (replies that are not a success) to READY, and holds the
registrations until the file RELEASE appears (120 s at most); then the
kernel closes the N sockets in one go.
"""
import os, resource, socket, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import epmd

port, n, ready, release = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], \
    sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE,
                   (max(soft, min(hard, n + 1024)), hard))
socks = [socket.create_connection(("127.0.0.1", port), timeout=10)
         for _ in range(n)]
time.sleep(0.5)
reqs = [epmd.alive2(("b%d" % i).encode(), 40000 + i) for i in range(n)]
for s, r in zip(socks, reqs):
    s.sendall(r)
bad = 0
for s in socks:
    rep = epmd.read_n(s, 4, 10)
    if len(rep) < 2 or rep[1] != 0:
        bad += 1
with open(ready, "w") as f:
    f.write("bad=%d\n" % bad)
end = time.monotonic() + 120
while not os.path.exists(release) and time.monotonic() < end:
    time.sleep(0.05)
os._exit(0)
