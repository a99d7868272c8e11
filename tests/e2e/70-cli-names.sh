#!/bin/bash
# 70-cli-names: "epmd -names" of the binary under test prints exactly what
# stock epmd prints (stdout, stderr, exit code; port numbers normalised),
# with no node and with two nodes, whether the port comes from
# ERL_EPMD_PORT or -port, and with server flags before -names; e.g.
# "epmd: up and running on port P with data:\nname bar at port 2222\n...".
# Reference: epmd-reference.md 3 (client side, -names; flags must be last).
. "$(dirname "$0")/lib.sh"

start_daemon
start_stock_daemon

cli_compare -names
assert_eq "$(cat "$CLI_OUT")" "epmd: up and running on port PORT with data:" "-names, no nodes"
assert_eq "$CLI_RC" 0 "-names exit code"

for p in "$PORT" "$SPORT"; do
	register foo 1111 -p "$p"
	register bar 2222 -p "$p"
done
want="epmd: up and running on port PORT with data:
name bar at port 2222
name foo at port 1111"
for args in "-names" "-port @PORT@ -names" "-packet_timeout 1 -port @PORT@ -names" \
    "-d -port @PORT@ -names" "-relaxed_command_check -address 127.0.0.1 -port @PORT@ -names"; do
	# shellcheck disable=SC2086
	cli_compare $args
	assert_eq "$(cat "$CLI_OUT")" "$want" "epmd $args"
	assert_eq "$(cat "$CLI_ERR")" "" "epmd $args: stderr"
	assert_eq "$CLI_RC" 0 "epmd $args: exit code"
done
# -port beats ERL_EPMD_PORT: stock and ours each get the other's port in
# the environment.
ERL_EPMD_PORT=$SPORT timeout --foreground 15 "$EPMD" -port "$PORT" -names >"$TMP/o" 2>&1
assert_eq "$(cat "$TMP/o")" "${want//PORT/$PORT}" "-port $PORT -names with ERL_EPMD_PORT=$SPORT"
