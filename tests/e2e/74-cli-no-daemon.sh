#!/bin/bash
# 74-cli-no-daemon: with no daemon on the port, -names, -dump, -kill and
# -stop NAME print "epmd: Cannot connect to local epmd" on stderr and exit 1
# (nothing on stdout); -started prints nothing and exits 1. Same as stock.
# Reference: epmd-reference.md 3 (client side).
. "$(dirname "$0")/lib.sh"

# No daemon is started: $PORT is free.
for args in "-names" "-port @PORT@ -names" "-dump" "-kill" "-stop x"; do
	# shellcheck disable=SC2086
	cli_compare $args
	assert_eq "$(cat "$CLI_OUT")" "" "epmd $args: stdout"
	assert_eq "$(cat "$CLI_ERR")" "epmd: Cannot connect to local epmd" "epmd $args: stderr"
	assert_eq "$CLI_RC" 1 "epmd $args: exit code"
done
cli_compare -port @PORT@ -started
assert_eq "$(cat "$CLI_OUT" "$CLI_ERR")" "" "-started output"
assert_eq "$CLI_RC" 1 "-started exit code"
