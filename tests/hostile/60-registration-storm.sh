#!/bin/bash
# Registration storm: 50 sockets at once, each registering a fresh name
# and dropping it 100 times (by close, by a stray byte, by RST; v6 and v5
# requests).  Every reply is a well-formed success; afterwards no storm
# registration is left, no connection leaks, the unreg cache stays
# bounded, and a node registered before is still there.
. "$(dirname "$0")/lib.sh"

W=50 R=100
start_daemon -packet_timeout 30
start_holder keeper register keeper 1 "$TMP/keeper.ready" 250
wait_ready keeper 20

out=$(hc storm $W $R) || fail "storm"
daemon_ok
wait_until 10 status_le registrations 1 ||
    fail "registrations=$(status_get registrations) after the storm, want 1"
names=$(hc names) || fail "NAMES does not answer"
left=$(printf '%s\n' "$names" | grep -c '^name storm')
[ "$left" = 0 ] || fail "$left storm names still listed"
printf '%s\n' "$names" | grep -q '^name keeper0000 ' || fail "keeper lost"
wait_until 10 status_le connections 1 ||
    fail "connections=$(status_get connections), want 1"
# The cap (1000) applies lazily, as stock: a new name recycles the oldest
# only once the cache is over it, so up to one per concurrent worker more.
unreg=$(status_get unreg_cached)
[ "$unreg" -le $((1000 + W + 1)) ] ||
    fail "unreg_cached=$unreg: unbounded (cap 1000, $W workers)"
note "$out; unreg_cached=$unreg"
