#!/bin/bash
# 98-cli-peers-sync-off: `epmdxctl peers` on a daemon without peer sync
# prints "sync is off" (stdout, exit 0) rather than nothing; with --json
# it prints [] and nothing else.
. "$(dirname "$0")/lib.sh"
epmdx_only
EPMDXCTL=$(resolve_bin "${EPMDXCTL:-$(dirname "$EPMD")/epmdxctl}")

start_daemon
epmd_cli "$EPMDXCTL" --port "$PORT" peers
assert_eq "$CLI_RC" 0 "peers: exit status"
assert_eq "$(cat "$TMP/cli.out")" "sync is off" "peers: stdout"
assert_eq "$(cat "$TMP/cli.err")" "" "peers: stderr"
epmd_cli "$EPMDXCTL" --port "$PORT" --json peers
assert_eq "$CLI_RC" 0 "peers --json: exit status"
assert_eq "$(cat "$TMP/cli.out")" "[]" "peers --json: stdout"
assert_eq "$(cat "$TMP/cli.err")" "" "peers --json: stderr"
