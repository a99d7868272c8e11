#!/bin/bash
# 83-nodes-duplicate-name: a second node started with a name that is
# already registered fails to start with OTP's "the name a@HOST seems to be
# in use by another Erlang node" and exits non-zero; the first node is still
# registered and answers ping.
# Reference: epmd-reference.md 6 (what the user sees: duplicate name).
. "$(dirname "$0")/lib.sh"

start_daemon
start_node a
H=$NODE_HOST
ERL_EPMD_PORT=$PORT timeout --foreground -k 5 40 erl -sname a -start_epmd false \
    -noshell -setcookie "$COOKIE" -eval 'halt(0).' </dev/null >"$TMP/dup.log" 2>&1
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "second node a: exit code $rc, want non-zero (not a timeout)"
assert_contains "$(cat "$TMP/dup.log")" "the name a@$H seems to be in use by another Erlang node" \
    "second node's output"
names_has a || fail "first a no longer listed"
assert_eq "$(erl_run "net_adm:ping('a@$H')")" "pong" "ping first a"
