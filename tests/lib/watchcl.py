#!/usr/bin/env python3
"""watchcl.py: WATCH subscribers for the tests (tests/lib/epmd.py).

  watchcl.py -p PORT            one watcher; print each line as it comes
                                (fields joined by tabs), until EOF or
                                --timeout seconds
  watchcl.py -p PORT --count N --expect NAME
                                N watchers; print "synced N" once each has
                                its table ("="), then "got N NAME MS" once
                                each has a "+" line for NAME (MS: from the
                                first to the last), or "missing K" after
                                --timeout seconds
"""

import argparse
import os
import selectors
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import epmd  # noqa: E402


def one(args):
    s = epmd.watch(port=args.port)
    w = epmd.WatchLines(s)
    end = time.monotonic() + args.timeout
    while time.monotonic() < end:
        ln = w.next(end - time.monotonic())
        if ln is None:
            if w.closed:
                print("EOF", flush=True)
            return 0
        print("\t".join(ln), flush=True)
    return 0


def many(args):
    epmd.raise_nofile()
    sel = selectors.DefaultSelector()
    ws = []
    for _ in range(args.count):
        s = epmd.watch(port=args.port)
        s.setblocking(False)
        w = epmd.WatchLines(s)
        w.synced = False
        w.got = None
        ws.append(w)
        sel.register(s, selectors.EVENT_READ, w)
    end = time.monotonic() + args.timeout
    announced = False
    while time.monotonic() < end:
        for key, _ in sel.select(0.2):
            w = key.data
            data = epmd.recv_ready(w.s, 65536)
            if data is None:
                continue
            for ln in w.feed(data):
                if ln == ["="]:
                    w.synced = True
                elif ln[0] == "+" and len(ln) > 1 and \
                        ln[1] == args.expect and w.got is None:
                    w.got = time.monotonic()
            if w.closed:
                sel.unregister(w.s)
        if not announced and all(w.synced for w in ws):
            print("synced %d" % len(ws), flush=True)
            announced = True
        if all(w.got is not None for w in ws):
            t = [w.got for w in ws]
            print("got %d %s %d" % (len(ws), args.expect,
                  (max(t) - min(t)) * 1000), flush=True)
            return 0
    print("missing %d" % sum(1 for w in ws if w.got is None), flush=True)
    return 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-p", "--port", type=int, default=epmd.PORT)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--expect", default=None)
    p.add_argument("--timeout", type=float, default=60.0)
    args = p.parse_args()
    if args.count > 1 or args.expect:
        return many(args)
    return one(args)


if __name__ == "__main__":
    sys.exit(main())
