#!/bin/sh
# run.sh: run the hostile-client tests.
#
#   sh tests/hostile/run.sh [PATTERN...]
#
# Runs every tests/hostile/[0-9][0-9]-*.sh in order (or those whose name
# contains a PATTERN), each with bash under `timeout` (HOSTILE_TIMEOUT,
# default 300 s) in its own process group, which is killed by its id
# afterwards.  Prints PASS/FAIL/SKIP per test, a test's log when it fails,
# and last exactly one line "N passed, N failed".  Exit 1 on any failure.
# (tests/lib/runner.sh does the work.)
#
# Environment:
#   EPMDX            daemon under test (default build/epmdx; e.g.
#                    build-san/epmdx for the ASan+UBSan build)
#   HOSTILE_TIMEOUT  per-test limit in seconds (default 300)
#   HOSTILE_LOGDIR   keep every log there (default: a temp dir, removed
#                    when nothing failed)

exec bash "$(dirname "$0")/../lib/runner.sh" --suite hostile \
    --bin "${EPMDX:-build/epmdx}" --export HOSTILE_EPMD \
    --label "daemon under test" --warn daemon \
    --timeout "${HOSTILE_TIMEOUT:-300}" --logdir "${HOSTILE_LOGDIR:-}" \
    --times --skip-reason first --notes -- "$@"
