#!/bin/bash
# 75-cli-usage: command-line errors print stock's usage text on stderr
# (starting "usage: epmd [-d|-debug] [DbgExtra...] [-address List]") and
# exit 1, exactly like stock: interactive flags not last (-names -port X,
# -names x, -stop a b), unknown flags, missing values, numeric values of 0
# or non-numeric (-packet_timeout 0, -delay_write x, -port 0).
# Reference: epmd-reference.md 3 (argument parsing), 8 item 13.
. "$(dirname "$0")/lib.sh"

# ERL_EPMD_PORT is the free $PORT, so a binary that wrongly starts serving
# does not touch 4369; timeout bounds it.
for args in "-names -port @PORT@" "-names x" "-stop" "-stop a b" "-bogus" \
    "-port @PORT@ -bogus" "-packet_timeout 0" "-packet_timeout 0 -names" \
    "-packet_timeout" "-delay_accept 0" "-delay_write x" "-port 0 -names" \
    "-port -names" "--names" "names"; do
	# shellcheck disable=SC2086
	cli_compare $args
	assert_eq "$(head -n 1 "$CLI_ERR")" \
	    "usage: epmd [-d|-debug] [DbgExtra...] [-address List]" "epmd $args: first stderr line"
	assert_eq "$(cat "$CLI_OUT")" "" "epmd $args: stdout"
	assert_eq "$CLI_RC" 1 "epmd $args: exit code"
done
