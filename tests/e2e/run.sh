#!/bin/sh
# run.sh: run the end-to-end tests.
#
#   sh tests/e2e/run.sh [PATTERN...]
#
# Runs every tests/e2e/[0-9][0-9]-*.sh in order (or only those whose name
# contains one of the PATTERNs), each with bash under `timeout 120`, and
# prints PASS/FAIL/SKIP per test, then one final line
# "N passed, N failed[, N skipped]". A test's output is kept in the log dir
# and printed only when it fails. Exit status 1 if any test failed.
# (tests/lib/runner.sh does the work.)
#
# Environment:
#   EPMDX            daemon binary under test (default build/epmdx, relative
#                    to the current directory, else to the repo root)
#   EPMD_UNDER_TEST  overrides EPMDX, e.g. /usr/bin/epmd (the oracle run;
#                    epmdx-only tests then exit 77 and count as SKIP)
#   STOCK_EPMD       reference epmd for the side-by-side CLI tests
#                    (default /usr/bin/epmd)
#   E2E_LOGDIR       where to keep logs (default: a new dir under $TMPDIR,
#                    removed when nothing failed)
#   E2E_TIMEOUT      per-test time limit in seconds (default 120)
#   E2E_FORCE        run epmdx-only tests against stock epmd too

exec bash "$(dirname "$0")/../lib/runner.sh" --suite e2e \
    --bin "${EPMD_UNDER_TEST:-${EPMDX:-build/epmdx}}" --export E2E_EPMD \
    --timeout "${E2E_TIMEOUT:-120}" --logdir "${E2E_LOGDIR:-}" \
    --skipped-in-total -- "$@"
