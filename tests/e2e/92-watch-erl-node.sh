#!/bin/bash
# 92-watch-erl-node: a WATCH subscriber (epmdx's request 206) gets the
# table first (one "+" line per registered node, every field), then "="
# alone, then a "+" line the moment a real Erlang node (erl -sname)
# registers and a "-" line when it stops.  Wire format: epmdxctl(1).
. "$(dirname "$0")/lib.sh"
epmdx_only

start_daemon
register pre 4567 --type 72 --high 6 --low 5
H=$(ERL_EPMD_PORT=$PORT "$PYTHON" -c 'import socket; print(socket.gethostname().split(".")[0])')
OUT=$TMP/watch.out
"$PYTHON" "$TESTS_LIB/watchcl.py" -p "$PORT" --timeout 50 >"$OUT" 2>&1 &
track_pid $!
wait_until 10 grep -qx '=' "$OUT" || fail "no '=' line: $(cat "$OUT")"
# The table: exactly the one node, then "=".
assert_eq "$(cat "$OUT")" "$(printf '+\tpre\t%s\t4567\t72\t0\t6\t5\t127.0.0.1\n=' "$H")" \
    "table then ="

start_node a
wait_until 10 grep -q "^+	a	$H	" "$OUT" || fail "no + line for a: $(cat "$OUT")"
port_a=$(names | sed -n 's/^name a at port //p')
grep -qx "+	a	$H	$port_a	77	0	[0-9]*	[0-9]*	127.0.0.1" "$OUT" ||
    fail "a's + line: $(grep '	a	' "$OUT")"
stop_node "$NODE_PID"
wait_until 10 grep -qx -e "-	a	$H" "$OUT" || fail "no - line for a: $(cat "$OUT")"
# Nothing else arrived: 4 lines in all.
assert_eq "$(wc -l <"$OUT")" 4 "lines: $(cat "$OUT")"
