#!/bin/bash
# tests/metrics/run.sh: the optional [metrics] HTTP listener, end to end.
#
# Starts the daemon ($EPMDX, default build/epmdx) on a free port with a
# config holding "[metrics] listen = 127.0.0.1:<free port>", registers a
# node over the raw wire (python3), then checks /metrics values, runs
# `promtool check metrics` on the output, and checks /healthz, 404, 405,
# a busy metrics port (exit 1) and metrics being off by default.
# Needs curl, python3 and promtool (Debian: prometheus); prints
# "N passed, N failed" and exits 1 on any failure.
# shellcheck source=../lib/checklist.sh
. "$(dirname "$0")/../lib/checklist.sh" metrics

EPMDX=${EPMDX:-$REPO_ROOT/build/epmdx}
EPMDXCTL=${EPMDXCTL:-$(dirname "$EPMDX")/epmdxctl}

# wire ARGS...: tests/lib/wire.py against $PORT (a raw EPMD client).
wire() { "$PYTHON" "$WIRE" -p "$PORT" "$@"; }

# scrape [PATH]: GET the metrics port into $TMP/body, headers in $TMP/head;
# prints the HTTP status code.
scrape() {
	curl -s -m 5 -D "$TMP/head" -o "$TMP/body" -w '%{http_code}' \
	    "http://127.0.0.1:$MPORT${1:-/metrics}"
}

# value SAMPLE: the value of one sample (name with labels) in $TMP/body.
value() {
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "none" }' \
	    "$TMP/body"
}

# expect SAMPLE WANT: scrape, and check one sample's value.
expect() {
	local got
	scrape >/dev/null
	got=$(value "$1")
	if [ "$got" = "$2" ]; then pass "$1 = $2"
	else fail "$1 = $2" "got $got"; fi
}

# promcheck WHAT: promtool check metrics (format and lint) on $TMP/body.
promcheck() {
	local out
	if ! command -v promtool >/dev/null; then
		fail "promtool check metrics ($1)" "promtool not installed"
		return
	fi
	if out=$(promtool check metrics <"$TMP/body" 2>&1) && [ -z "$out" ]
	then pass "promtool check metrics ($1)"
	else fail "promtool check metrics ($1)" "$out"; fi
}

for t in curl "$PYTHON"; do
	command -v "$t" >/dev/null || { echo "metrics: $t missing" >&2; exit 1; }
done
[ -x "$EPMDX" ] || { echo "metrics: $EPMDX not built" >&2; exit 1; }

PORT=$(free_port)
MPORT=$(free_port)
export ERL_EPMD_PORT=$PORT
printf '[metrics]\nlisten = 127.0.0.1:%s\n' "$MPORT" >"$TMP/epmdx.conf"

"$EPMDX" -f "$TMP/epmdx.conf" -port "$PORT" -d >"$TMP/d1.log" 2>&1 &
D1=$!
track_pid "$D1"
healthy() { [ "$(curl -s -m 1 "http://127.0.0.1:$MPORT/healthz")" = ok ]; }
if ! wait_until 10 healthy; then
	fail "daemon serves /healthz" "$(cat "$TMP/d1.log")"
	summary
	exit 1
fi
pass "daemon serves /healthz"

# /healthz
code=$(scrape /healthz)
check "/healthz is 200" [ "$code" = 200 ]
check "/healthz says ok" [ "$(cat "$TMP/body")" = ok ]

# /metrics, empty registry
code=$(scrape)
check "/metrics is 200" [ "$code" = 200 ]
check "/metrics content type is text 0.0.4" grep -qi \
    '^content-type: text/plain; version=0.0.4' "$TMP/head"
promcheck "idle"
for f in epmdx_registrations epmdx_unregistered_names_cached \
    epmdx_connections epmdx_connections_max epmdx_nofile_limit \
    epmdx_listeners epmdx_accepted_total epmdx_requests_total \
    epmdx_registrations_total epmdx_unregistrations_total \
    epmdx_refusals_total epmdx_errors_total epmdx_evictions_total \
    epmdx_timeouts_total epmdx_limit_hits_total epmdx_uptime_seconds \
    epmdx_start_time_seconds epmdx_build_info epmdx_reply_buffer_bytes \
    epmdx_reply_buffer_limit_bytes epmdx_access_refused_total \
    epmdx_watchers epmdx_watchers_max epmdx_watchers_dropped_total; do
	if grep -q "^# HELP $f " "$TMP/body" &&
	    grep -q "^# TYPE $f \(gauge\|counter\)$" "$TMP/body"; then
		pass "$f has HELP and TYPE"
	else
		fail "$f has HELP and TYPE"
	fi
done
expect epmdx_registrations 0
expect epmdx_listeners 2
expect epmdx_connections_max 8192
expect 'epmdx_limit_hits_total{limit="reply_buffer_total"}' 0
expect epmdx_reply_buffer_bytes 0
expect epmdx_reply_buffer_limit_bytes $((64 * 1024 * 1024))
expect epmdx_watchers 0
expect epmdx_watchers_max 4096
expect 'epmdx_watchers_dropped_total{reason="overflow"}' 0
expect 'epmdx_watchers_dropped_total{reason="max_watchers"}' 0
for r in names port_please2 sync; do
	expect "epmdx_access_refused_total{request=\"$r\"}" 0
done
version=$("$EPMDX" -V | awk '{ print $2 }')
expect "epmdx_build_info{version=\"$version\"}" 1
start=$(value epmdx_start_time_seconds)
now=$(date +%s)
check "epmdx_start_time_seconds is about now" \
    [ "$start" -le "$now" -a "$start" -ge $((now - 60)) ]

# A registration
"$PYTHON" "$WIRE" -p "$PORT" --register mtest 12345 --timeout 60 \
    >"$TMP/reg.out" 2>&1 &
R=$!
track_pid "$R"
registered() { [ -s "$TMP/reg.out" ]; }
wait_until 10 registered
check "ALIVE2 accepted" grep -q '^7600' "$TMP/reg.out"
expect epmdx_registrations 1
expect 'epmdx_connections{state="registration"}' 1
expect epmdx_registrations_total 1
expect 'epmdx_requests_total{type="alive2"}' 1
promcheck "one node"

# Requests by type
"$EPMDX" -port "$PORT" -names >/dev/null 2>&1
expect 'epmdx_requests_total{type="names"}' 1
wire --str zmtest >/dev/null
expect 'epmdx_requests_total{type="port_please2"}' 1
if "$EPMDXCTL" status >/dev/null 2>&1; then
	expect 'epmdx_requests_total{type="status"}' 1
else
	fail "epmdxctl status" "exit $?"
fi
wire --hex 01 >/dev/null
expect 'epmdx_errors_total{reason="bad_request"}' 1
expect epmdx_accepted_total 5

# The node goes away
kill_wait "$R"
gone() { scrape >/dev/null; [ "$(value epmdx_registrations)" = 0 ]; }
wait_until 5 gone
expect epmdx_registrations 0
expect epmdx_unregistrations_total 1
expect epmdx_unregistered_names_cached 1
expect 'epmdx_connections{state="registration"}' 0

# A WATCH subscriber is counted while it is connected.
"$PYTHON" "$TESTS_LIB/watchcl.py" -p "$PORT" --timeout 60 >"$TMP/watch.out" \
    2>&1 &
W=$!
track_pid "$W"
watching() { scrape >/dev/null; [ "$(value epmdx_watchers)" = 1 ]; }
wait_until 5 watching
expect epmdx_watchers 1
expect 'epmdx_requests_total{type="watch"}' 1
kill_wait "$W"
unwatched() { scrape >/dev/null; [ "$(value epmdx_watchers)" = 0 ]; }
wait_until 5 unwatched
expect epmdx_watchers 0

# Other paths and methods
code=$(scrape /nope)
check "/nope is 404" [ "$code" = 404 ]
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST -d x \
    "http://127.0.0.1:$MPORT/metrics")
check "POST /metrics is 405" [ "$code" = 405 ]
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X DELETE \
    "http://127.0.0.1:$MPORT/healthz")
check "DELETE /healthz is 405" [ "$code" = 405 ]
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -I \
    "http://127.0.0.1:$MPORT/metrics")
check "HEAD /metrics is 200" [ "$code" = 200 ]
code=$(scrape '/metrics?x=1')
check "/metrics?x=1 is 200" [ "$code" = 200 ]

# A busy metrics port is a startup error: exit 1 with the cause.
PORT2=$(free_port)
timeout 10 "$EPMDX" -f "$TMP/epmdx.conf" -port "$PORT2" >"$TMP/d2.log" 2>&1
rc=$?
check "busy metrics port: exit 1" [ "$rc" = 1 ]
check "busy metrics port: cause logged" grep -q "metrics listen" "$TMP/d2.log"

# Off by default: no [metrics] key, no listener.
: >"$TMP/empty.conf"
"$EPMDX" -f "$TMP/empty.conf" -port "$PORT2" -d >"$TMP/d3.log" 2>&1 &
D3=$!
track_pid "$D3"
ready() { grep -q 'ready port=' "$TMP/d3.log"; }
wait_until 10 ready
check "no [metrics]: daemon ready" ready
check "no [metrics]: no metrics listener" \
    sh -c "! grep -q 'metrics listening' '$TMP/d3.log'"
kill_wait "$D3"

# Clean shutdown closes the listener.
kill_wait "$D1"
check "shutdown logs the metrics listener closed" \
    grep -q "metrics listener closed" "$TMP/d1.log"
check "metrics port closed after shutdown" sh -c \
    "! curl -s -m 2 http://127.0.0.1:$MPORT/healthz >/dev/null"

summary
