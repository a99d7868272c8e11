#!/usr/bin/env python3
"""etcdproxy.py: a TCP proxy in front of etcd for 73-etcd-compact.

    etcdproxy.py UPSTREAM_PORT DIR

Listens on 127.0.0.1 (a free port, written to DIR/port) and copies bytes
to and from 127.0.0.1:UPSTREAM_PORT.  When the file DIR/rewind appears, it
closes every connection it holds and deletes the file; the first watch
request after that asks for revision 1 instead of the one sent (the same
length: "1" and spaces after it, so Content-Length holds): etcd, compacted
past it, cancels that watch with compact_revision.  Loopback only.
"""
import asyncio
import os
import re
import sys

UP = int(sys.argv[1])
DIR = sys.argv[2]
conns = set()
state = {"rewind": False}
REV = re.compile(rb'"start_revision":"([0-9]+)"')


def rewind(m):
    n = len(m.group(1))
    return b'"start_revision":"1"' + b" " * (n - 1)


async def pipe(r, w, rewrite):
    try:
        while True:
            data = await r.read(65536)
            if not data:
                break
            if rewrite and state["rewind"] and b"/v3/watch" in data:
                new = REV.sub(rewind, data)
                if new != data:
                    state["rewind"] = False
                    data = new
            w.write(data)
            await w.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        w.close()


async def client(cr, cw):
    try:
        ur, uw = await asyncio.open_connection("127.0.0.1", UP)
    except OSError:
        cw.close()
        return
    conns.add(cw)
    conns.add(uw)
    await asyncio.gather(pipe(cr, uw, True), pipe(ur, cw, False))
    conns.discard(cw)
    conns.discard(uw)


async def watch_flag():
    flag = os.path.join(DIR, "rewind")
    while True:
        await asyncio.sleep(0.05)
        if os.path.exists(flag):
            os.unlink(flag)
            state["rewind"] = True
            for w in list(conns):
                w.close()


async def main():
    srv = await asyncio.start_server(client, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    with open(os.path.join(DIR, "port.tmp"), "w") as f:
        f.write("%d\n" % port)
    os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
    asyncio.ensure_future(watch_flag())
    async with srv:
        await srv.serve_forever()

asyncio.run(main())
