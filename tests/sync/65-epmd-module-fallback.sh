#!/bin/bash
# 65-epmd-module-fallback: epmdx_epmd falls back to OTP's erl_epmd, as if
# it were not there, when the local port mapper cannot answer from a
# cluster table.  (1) Stock epmd: nodes a@hs and b@hs with the module
# register with /usr/bin/epmd (hs is 127.0.0.1 in the nodes' hosts file);
# a pings b: pong, through the stock path (RESOLVE is refused, then a host
# lookup and PORT_PLEASE2); with -epmdx_autoconnect, the node says once
# that the port mapper is not epmdx and goes on.  (2) A daemon that does
# not answer: node c@h1 registers with an epmdx, the daemon is stopped (SIGSTOP), and c resolves
# x@h9: the answer (h9's lookup fails: {error,nxdomain}) comes in well
# under a second, not after net_kernel's set-up time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"
STOCK_EPMD=${STOCK_EPMD:-/usr/bin/epmd}
[ -x "$STOCK_EPMD" ] || skip "stock epmd not installed: $STOCK_EPMD"

# (1) Stock epmd.
read -r -a P <<<"$(free_ports 2)" || fail "no free ports"
"$STOCK_EPMD" -port "${P[0]}" >"$TMP/stock.log" 2>&1 </dev/null &
track_pid $!
wait_until 10 "$STOCK_EPMD" -port "${P[0]}" -names >/dev/null 2>&1 ||
    fail "stock epmd not answering"
printf '127.0.0.1 hs\n' >"$TMP/hosts"
# shellcheck disable=SC2046
env $(beam_env 1) erl -sname b@hs -setcookie "$COOKIE" -start_epmd false \
    -noshell -pa "$NODE_EBIN" $MOD -eval 'io:format("UP~n").' \
    >"$TMP/bs.log" 2>&1 </dev/null &
track_pid $!
wait_until 20 grep -q UP "$TMP/bs.log" || fail "b@hs not up: $(cat "$TMP/bs.log")"
# shellcheck disable=SC2046
out=$(timeout -k 2 30 env $(beam_env 1) erl -sname a@hs -setcookie "$COOKIE" \
    -start_epmd false -noshell -pa "$NODE_EBIN" $MOD -eval '
    io:format("~p~n", [{epmdx:lookup("b@hs", #{}), net_adm:ping(b@hs)}]),
    halt().' </dev/null 2>&1) || fail "a@hs failed: $out"
assert_eq "$out" "{{error,not_epmdx},pong}" \
    "with stock epmd, epmdx_epmd resolves as erl_epmd does"
# Autoconnect against stock epmd: said once, the node goes on.
# shellcheck disable=SC2046
env $(beam_env 1) erl -sname ac@hs -setcookie "$COOKIE" -start_epmd false \
    -noshell -pa "$NODE_EBIN" $MOD -epmdx_autoconnect true \
    -eval 'io:format("UP~n").' >"$TMP/ac.log" 2>&1 </dev/null &
AC=$!
track_pid $AC
wait_until 10 grep -q "is not epmdx" "$TMP/ac.log" ||
    fail "no 'not epmdx' warning: $(cat "$TMP/ac.log")"
sleep 2
# (a report early in the boot may be printed by two logger handlers: the
# same report, the same time)
[ "$(tr -d '\r' <"$TMP/ac.log" | grep -B1 "is not epmdx" |
    grep "WARNING REPORT" | sort -u | wc -l)" = 1 ] ||
    fail "the warning repeats: $(cat "$TMP/ac.log")"
alive "$AC" || fail "the node died: $(cat "$TMP/ac.log")"
stop_pid "$AC"

# (2) A daemon that does not answer.
: >"$TMP/hosts"
P[0]=${P[1]}
start_daemon_as h1 "${P[0]}"
beam 1 c $MOD -eval '
    W = fun W() -> case filelib:is_file("'"$TMP"'/go") of
                       true -> ok; false -> timer:sleep(20), W() end end,
    io:format("UP~n"), W(),
    {T, R} = timer:tc(epmdx_epmd, address_please, ["x", "h9", inet]),
    io:format("~p ~p~n", [T div 1000, R]).'
wait_until 20 grep -q UP "$TMP/c.log" || fail "c not up: $(cat "$TMP/c.log")"
registered "${P[0]}" c || fail "c@h1 not registered"
kill -STOP "$DPID_h1" || fail "cannot stop the daemon"
on_exit_first "kill -CONT $DPID_h1 2>/dev/null"
touch "$TMP/go"
wait_until 10 grep -q nxdomain "$TMP/c.log" ||
    fail "no answer from c: $(cat "$TMP/c.log")"
ms=$(grep nxdomain "$TMP/c.log" | awk '{print $1}')
note "address_please with a stopped daemon: $ms ms"
[ "$ms" -ge 250 ] && [ "$ms" -lt 1000 ] ||
    fail "fallback took $ms ms, want about 300 (the default -epmdx_timeout)"
kill -CONT "$DPID_h1"
