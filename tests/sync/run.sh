#!/bin/sh
# run.sh: run the peer-sync tests.
#
#   sh tests/sync/run.sh [PATTERN...]
#
# Runs every tests/sync/[0-9][0-9]-*.sh in order (10-19 static peers, 20
# the story, 21-23 batching, a hung peer, an older peer, 30-38 trust and
# clusters, 40-43 dns backend, 50-52 mcast
# backend, 60 WATCH across daemons, 61-65 real nodes with epmdx_epmd, 66
# contrib/elixir's libcluster strategy, 70-81 etcd backend, skipped
# without etcd), or only
# those whose name contains one of the PATTERNs.  Each runs under bash
# with `timeout 180` (SYNC_TIMEOUT) and prints PASS, FAIL or SKIP (exit 77);
# a failed test's output is printed.  The last line is exactly
# "N passed, N failed"; the exit status is 1 if any test failed.
# (tests/lib/runner.sh does the work.)
#
# Environment:
#   EPMDX, EPMDXCTL  binaries under test (default build/epmdx and
#                    build/epmdxctl, relative to the current directory,
#                    else to the repo root)
#   SYNC_LOGDIR      where to keep the logs (default: a new dir under
#                    $TMPDIR, removed when nothing failed)
#   SYNC_TIMEOUT     per-test limit in seconds (default 180)
#   SYNC_KEEP        keep each test's temp dir
#   EPMDX_OLD        an older daemon (no cluster names, stream version 1
#                    only) for 23 and 38; else built from the clone's
#                    history (tests/sync/lib.sh, old_epmdx)

exec bash "$(dirname "$0")/../lib/runner.sh" --suite sync \
    --bin "${EPMDX:-build/epmdx}" --export EPMDX --ctl \
    --label "daemon under test" --warn daemon \
    --timeout "${SYNC_TIMEOUT:-180}" --logdir "${SYNC_LOGDIR:-}" \
    --times --skip-reason last -- "$@"
