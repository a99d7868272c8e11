#!/bin/sh
# run.sh: run the live-upgrade tests.
#
#   sh tests/upgrade/run.sh [PATTERN...]
#
# Runs every tests/upgrade/[0-9][0-9]-*.sh in order (or only those whose
# name contains one of the PATTERNs), each with bash under a time limit,
# and prints PASS/FAIL/SKIP per test, then one final line
# "N passed, N failed".  A test's output is kept in the log dir and
# printed only when it fails.  Exit status 1 if any test failed.
# (tests/lib/runner.sh does the work.)
#
# Environment:
#   EPMDX            daemon binary under test (default build/epmdx, relative
#                    to the current directory, else to the repo root); the
#                    epmdxctl next to it is used, else a symlink to it
#   UPGRADE_LOGDIR   where to keep logs (default: a new dir under $TMPDIR,
#                    removed when nothing failed)
#   UPGRADE_TIMEOUT  per-test time limit in seconds (default 180)

# tests/e2e/lib.sh takes the binary from E2E_EPMD; EPMD_UNDER_TEST is not
# for this suite.
unset EPMD_UNDER_TEST
exec bash "$(dirname "$0")/../lib/runner.sh" --suite upgrade \
    --bin "${EPMDX:-build/epmdx}" --export E2E_EPMD \
    --timeout "${UPGRADE_TIMEOUT:-180}" --logdir "${UPGRADE_LOGDIR:-}" \
    -- "$@"
