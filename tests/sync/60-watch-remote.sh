#!/bin/bash
# 60-watch-remote: a WATCH subscriber on h1 hears of h2's nodes through
# sync: "+" for h2's table once it lands (address: h2's advertised host,
# 127.0.0.2 here, not the address h1 dialled), "+" when a node registers
# on h2, "-" when it goes, and "-" for every entry of h2 when h2 dies and
# its origin expires (ttl).  RESOLVE on h1 gives the same address
# (epmdxctl resolve ... address 127.0.0.2).
. "$(dirname "$0")/lib.sh"

read -r -a P <<<"$(free_ports 2)" || fail "no free ports"
make_secret "$TMP/secret"
all="127.0.0.1:${P[0]}, 127.0.0.1:${P[1]}"
write_conf "$TMP/h1.conf" h1 "$all"
write_conf "$TMP/h2.conf" h2 "$all" "advertise = 127.0.0.2:${P[1]}"
start_daemon_as h1 "${P[0]}" -f "$TMP/h1.conf"
start_daemon_as h2 "${P[1]}" -f "$TMP/h2.conf"
hold n1 "${P[0]}" 30001
hold n2 "${P[1]}" 30002

OUT=$TMP/watch.out
"$PYTHON" "$TESTS_LIB/watchcl.py" -p "${P[0]}" --timeout 120 >"$OUT" 2>&1 &
track_pid $!
wait_until 10 grep -qx '=' "$OUT" || fail "no table: $(cat "$OUT")"
grep -qx "+	n1	h1	30001	77	0	6	5	127.0.0.1" "$OUT" ||
    fail "local n1 not in the table: $(cat "$OUT")"
wait_until 20 grep -qx "+	n2	h2	30002	77	0	6	5	127.0.0.2" "$OUT" ||
    fail "no + line for n2@h2: $(cat "$OUT")"

out=$(ctl "${P[0]}" resolve n2@h2) || fail "resolve n2@h2 failed"
assert_eq "$out" "n2@h2 port 30002 type 77 protocol 0 versions 5-6 address 127.0.0.2" \
    "resolve n2@h2"
out=$(ctl "${P[0]}" --json resolve n1@h1) || fail "resolve n1@h1 failed"
assert_eq "$out" '{"node":"n1@h1","port":30001,"type":77,"protocol":0,"high":6,"low":5,"address":"127.0.0.1"}' \
    "resolve --json n1@h1"

hold n3 "${P[1]}" 30003
wait_until 10 grep -qx "+	n3	h2	30003	77	0	6	5	127.0.0.2" "$OUT" ||
    fail "no + line for n3@h2: $(cat "$OUT")"
stop_pid "$HOLD_PID"
wait_until 10 grep -qx -e "-	n3	h2" "$OUT" || fail "no - line for n3@h2: $(cat "$OUT")"

# h2 dies: its origin expires after ttl, and with it n2.
kill9 "$DPID_h2" || fail "h2 did not die"
wait_until $((SYNC_TTL + 5)) grep -qx -e "-	n2	h2" "$OUT" ||
    fail "no - line for n2@h2 after h2 died: $(cat "$OUT")"
# n1 (local) never went.
if grep -q -e "^-	n1	" "$OUT"; then
	fail "n1@h1 removed: $(cat "$OUT")"
fi
