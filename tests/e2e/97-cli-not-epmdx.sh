#!/bin/bash
# 97-cli-not-epmdx: epmdxctl's own commands (status, cluster, resolve,
# peers, watch) against stock epmd, which closes the connection on a
# request it does not know, say the daemon is not epmdx, and exit 1;
# distinct from no daemon at all (connection refused).  An epmdx daemon
# with no node and no sync answers cluster and peers with an empty table
# instead (exit 0).
. "$(dirname "$0")/lib.sh"
epmdx_only
EPMDXCTL=$(resolve_bin "${EPMDXCTL:-$(dirname "$EPMD")/epmdxctl}")

start_stock_daemon
for cmd in status cluster "resolve a@b" peers watch; do
	# shellcheck disable=SC2086
	epmd_cli "$EPMDXCTL" --port "$SPORT" $cmd
	assert_eq "$CLI_RC" 1 "epmdxctl $cmd against stock: exit status"
	assert_eq "$(cat "$TMP/cli.err")" "epmdxctl: the daemon on port $SPORT is not epmdx (it closed the connection on an epmdx request; stock epmd does that)" \
	    "epmdxctl $cmd against stock: message"
	assert_eq "$(cat "$TMP/cli.out")" "" "epmdxctl $cmd against stock: stdout"
done
epmd_cli "$EPMDXCTL" --port "$SPORT" --json cluster
assert_eq "$(cat "$TMP/cli.out")" "" "--json cluster against stock: stdout"

# No daemon at all: another message.
NOPORT=$(other_port)
epmd_cli "$EPMDXCTL" --port "$NOPORT" status
assert_eq "$CLI_RC" 1 "no daemon: exit status"
assert_match "$(cat "$TMP/cli.err")" "^epmdxctl: no daemon on localhost port $NOPORT: Connection refused\$" \
    "no daemon: message"

# epmdx with an empty table: an empty answer, not an error.
start_daemon
epmd_cli "$EPMDXCTL" --port "$PORT" --json cluster
assert_eq "$CLI_RC" 0 "empty cluster: exit status"
assert_eq "$(cat "$TMP/cli.out")" "[]" "empty cluster"
assert_eq "$(cat "$TMP/cli.err")" "" "empty cluster: stderr"
