#!/bin/bash
# 73-cli-stop: "epmd -stop NAME" behaves like stock: without the relaxed
# check it prints "epmd: local epmd responded with <>" and exits 1; relaxed,
# an unknown name prints "NOEXIST" and a registered one "STOPPED", both exit
# 0; a name over 1000 bytes prints "epmd: Name too long!" and exits 1.
# Reference: epmd-reference.md 3 (client side, -stop), 1.7.
. "$(dirname "$0")/lib.sh"

start_daemon
start_stock_daemon
for p in "$PORT" "$SPORT"; do register foo 1111 -p "$p"; done
cli_compare -stop foo
assert_eq "$(cat "$CLI_OUT")" "epmd: local epmd responded with <>" "-stop, not relaxed"
assert_eq "$CLI_RC" 1 "-stop exit code, not relaxed"
names_has foo || fail "foo no longer listed after refused -stop"

long=$(printf '%01001d' 0)
cli_compare -stop "$long"
assert_eq "$(cat "$CLI_OUT")" "epmd: Name too long!" "-stop with 1001 bytes"
assert_eq "$CLI_RC" 1 "-stop exit code with 1001 bytes"

stop_daemon
kill_wait "$STOCK_PID"
start_daemon -relaxed_command_check
start_stock_daemon -relaxed_command_check
for p in "$PORT" "$SPORT"; do register foo 1111 -p "$p"; done
cli_compare -port @PORT@ -stop nosuch
assert_eq "$(cat "$CLI_OUT")" "NOEXIST" "-stop unknown name, relaxed"
assert_eq "$CLI_RC" 0 "-stop exit code, unknown name"
cli_compare -port @PORT@ -stop foo
assert_eq "$(cat "$CLI_OUT")" "STOPPED" "-stop foo, relaxed"
assert_eq "$CLI_RC" 0 "-stop exit code, foo"
wait_until 5 names_lacks foo || fail "foo still listed after -stop"
