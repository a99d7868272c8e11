#!/bin/bash
# 99-erlang-resolve-address: contrib/erlang/epmdx.erl reads RESOLVE's new
# address field: resolve_address/2 gives {ok, {{127,0,0,1}, Port}} for a
# local node, resolve/2 still {ok, Port}, an unknown node
# {error, not_found}; against stock epmd both say {error, not_epmdx}.
. "$(dirname "$0")/lib.sh"
epmdx_only
command -v erlc >/dev/null || skip "erlc not installed"

mkdir -p "$TMP/ebin"
erlc -o "$TMP/ebin" "$REPO_ROOT/contrib/erlang/epmdx.erl" ||
    fail "epmdx.erl does not compile"
start_daemon
start_stock_daemon
register foo 4567
H=$(hostname -s 2>/dev/null || uname -n)
H=${H%%.*}
out=$(erl_run "
    {epmdx:resolve_address('foo@$H', #{port => $PORT}),
     epmdx:resolve('foo@$H', #{port => $PORT}),
     epmdx:resolve_address('nobody@$H', #{port => $PORT}),
     epmdx:resolve_address('foo@$H', #{port => $SPORT}),
     epmdx:cluster(#{port => $SPORT})}" -pa "$TMP/ebin") ||
    fail "erl failed: $out"
assert_eq "$out" "{{ok,{{127,0,0,1},4567}},
 {ok,4567},
 {error,not_found},
 {error,not_epmdx},
 {error,not_epmdx}}" "epmdx.erl resolve"
