# lib.sh: sourced (by bash) from the tests of contrib/elixir's strategy,
# after the suite's own lib.sh (tests/lib/common.sh: TMP, fail, skip,
# assert_eq).
#
#   standin_compile   skip unless elixirc and erl are installed; compile
#                     contrib/elixir's Cluster.Strategy.Epmdx with
#                     --warnings-as-errors together with the stand-in of
#                     libcluster (cluster_strategy.ex here) into $TMP/ebin;
#                     fail on any error or warning
#   standin_refs      the Cluster.* modules the compiled strategy names,
#                     sorted, one line, space-separated: every alias it
#                     refers to is an atom of its beam, called or not
#   standin_run       (below) an Elixir node running the strategy
# shellcheck shell=bash

STANDIN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STANDIN_TOP=$(cd "$STANDIN_DIR/../../.." && pwd)
STANDIN_SRC=$STANDIN_TOP/contrib/elixir/lib/cluster/strategy/epmdx.ex

standin_compile()
{
	command -v elixirc >/dev/null || skip "elixirc not installed"
	command -v erl >/dev/null || skip "erl not installed"
	mkdir -p "$TMP/ebin"
	(cd "$TMP" && timeout -k 5 120 elixirc --warnings-as-errors \
	    -o "$TMP/ebin" "$STANDIN_SRC" "$STANDIN_DIR/cluster_strategy.ex") \
	    >"$TMP/elixirc.log" 2>&1 ||
	    fail "elixirc --warnings-as-errors failed: $(cat "$TMP/elixirc.log")"
	[ -s "$TMP/elixirc.log" ] &&
	    fail "elixirc printed: $(cat "$TMP/elixirc.log")"
	return 0
}

standin_refs()
{
	timeout -k 5 60 erl -noshell -start_epmd false -eval '
	    {ok, {_, [{atoms, A}]}} = beam_lib:chunks(
		hd(init:get_plain_arguments()), [atoms]),
	    [io:format("~s~n", [N]) || {_, X} <- A,
		lists:prefix("Elixir.Cluster.", N = atom_to_list(X))],
	    halt().' -extra "$TMP/ebin/Elixir.Cluster.Strategy.Epmdx.beam" |
	    sort -u | tr '\n' ' ' | sed 's/ $//'
}

# standin_run NODE EPMD_PORT TOPOLOGIES: in the background, an Elixir node
# -sname NODE (-start_epmd false, ERL_EPMD_PORT=EPMD_PORT, cookie $COOKIE)
# runs run.exs here with STANDIN_TOPOLOGIES=TOPOLOGIES; the stand-in's calls
# go to $TMP/calls.log (CALLS), node events to $TMP/nodes.log (NODES), its
# output to $TMP/s.log.  Pid in SPID, tracked.  Waits (30 s) until every
# strategy runs.
standin_run()
{
	CALLS=$TMP/calls.log
	NODES=$TMP/nodes.log
	: >"$CALLS"
	(cd "$TMP" && ERL_EPMD_PORT=$2 LIBCLUSTER_STANDIN_LOG=$CALLS \
	    NODES_OUT=$NODES STANDIN_TOPOLOGIES=$3 exec elixir --sname "$1" \
	    --cookie "${COOKIE:-standin}" --erl "-start_epmd false" \
	    -pa "$TMP/ebin" "$STANDIN_DIR/run.exs") \
	    </dev/null >"$TMP/s.log" 2>&1 &
	SPID=$!
	track_pid "$SPID"
	wait_until 30 grep -qsx started "$NODES" ||
	    fail "the strategy did not start: $(cat "$TMP/s.log")"
}
