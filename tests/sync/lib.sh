# lib.sh: sourced (by bash) from every tests/sync/*.sh.
#
# Sets up, for one test:
#   EPMDX, EPMDXCTL  absolute paths of the daemon and of the query tool
#                    (environment, else build/epmdx and build/epmdxctl under
#                    the repo root)
# and, with tests/lib/common.sh's test_setup:
#   TMP              a private temp dir under $TMPDIR (default /tmp, never
#                    inside the repo), removed on exit (kept with SYNC_KEEP
#                    or KEEP_TMP set)
#   HOME             $TMP/home, so Erlang never touches the real home
# and an EXIT trap that stops every pid given to track_pid (TERM, then KILL
# after a bounded wait), runs the commands given to on_exit, and removes
# $TMP.  All traffic goes to 127.0.0.0/8, or to network namespaces a test
# creates itself.
#
# Helpers (* in tests/lib/common.sh):
#   fail* MSG, skip* MSG, note* MSG, assert_eq* ...
#   wait_until* SECONDS CMD...     poll CMD every 0.1 s, bounded
#   now_ms*
#   free_port*, free_ports* N      free TCP ports in 20000-32767
#   track_pid* PID, alive* PID, dead* PID, kill_wait* PID [SECS],
#   stop_pid PID (kill_wait), kill9 PID
#   on_exit* CMD                   run CMD (a string) at exit, before TMP goes
#   show_logs                      (on_exit) the logs in $TMP after a failure
#   make_secret FILE [TEXT]        a 0600 secret file (random if no TEXT)
#   write_conf FILE HOSTNAME PEERS [LINE...]   a [sync] config, static
#                                  backend, ttl $SYNC_TTL, interval
#                                  $SYNC_INTERVAL, log_level
#                                  $SYNC_LOG_LEVEL (info); extra LINEs end up in
#                                  [sync] and may override those keys
#                                  (a LINE setting backends replaces
#                                  static; list keys add up)
#   start_daemon_as* NAME EP -f CONF [ARGS...]  epmdx -port PORT, EP being
#                                  PORT or ADDR:PORT (listening only there,
#                                  so several daemons share a port); log
#                                  $TMP/NAME.log, pid in DPID_NAME
#   mesh N                         h1..hN on free_ports (array P), each
#                                  with all N as static peers, each
#                                  holding node nI on port 30000+I (its
#                                  holder's pid in HPID_I)
#   mesh_converged                 every daemon of the mesh lists exactly
#                                  its N nodes (MESH_WANT)
#   fakedns                        tests/sync/fakedns.py on 127.0.0.1,
#                                  answering from the files of $DNS (made
#                                  first); its port in DP
#   dns_daemon [LINE...]           daemon d on a free port P, dns backend
#                                  asking fakedns for epmd.test every second
#   daemon_log NAME
#   ctl EP ARGS...                 epmdxctl against EP (PORT or ADDR:PORT),
#                                  bounded; stdout only
#   cluster EP                     "name@host port" lines, sorted, from
#                                  epmdxctl --json cluster
#   cluster_has EP NODE [PORT], cluster_lacks EP NODE
#   peers EP                       "peer state origin sources" lines, sorted,
#                                  from epmdxctl --json peers
#   peer_state EP PEER             the state of one peer ("" if absent)
#   metric HOSTPORT NAME           one unlabelled metric from /metrics
#   watch_cluster EP SECS OUT NODE:PORT...   poll EP's CLUSTER every 20 ms
#                                  for SECS in the background (pid in
#                                  WATCH_PID); OUT gets "polls=N missing=M"
#                                  and the first poll missing a NODE:PORT
#   old_epmdx                      an older daemon for mixed-version tests:
#                                  $EPMDX_OLD, else commit $OLD_REV
#                                  (the last before cluster names and
#                                  stream version 2) built once from the
#                                  clone's history beside $EPMDX (skips
#                                  the test if the history lacks it); its
#                                  path in OLD
#   burst PORT N                   N registrations at once on the daemon at
#                                  127.0.0.1:PORT (tests/sync/burst.py),
#                                  all answered; held (pid in BURST)
#                                  until $TMP/release appears
#   hold NAME EP NODEPORT          a raw ALIVE2 registration held by
#                                  wire.py (pid in HOLD_PID, tracked) until
#                                  it is stopped or 300 s pass

SYNC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
. "$SYNC_DIR/../lib/common.sh"
KEEP_TMP=${KEEP_TMP:-${SYNC_KEEP:-}}
test_setup sync

SYNC_TTL=${SYNC_TTL:-4}
SYNC_INTERVAL=${SYNC_INTERVAL:-1}

EPMDX=$(resolve_bin "${EPMDX:-build/epmdx}")
EPMDXCTL=$(resolve_bin "${EPMDXCTL:-$(dirname "$EPMDX")/epmdxctl}")
EPMD=$EPMDX

# show_logs: for on_exit: after a failure, the last 40 lines of every
# $TMP/*.log (the daemons', dnsmasq's...).
show_logs()
{
	local f
	[ "$EXIT_RC" -eq 0 ] || [ "$EXIT_RC" -eq 77 ] && return 0
	for f in "$TMP"/*.log; do
		[ -f "$f" ] || continue
		printf '==== %s (last 40 lines)\n' "$(basename "$f")" >&2
		tail -n 40 "$f" >&2
	done
}

# -------------------------------------------------------------- processes

# stop_pid PID: kill_wait PID (TERM, up to 5 s, then KILL).
stop_pid()
{
	kill_wait "$1"
}

# kill9 PID: KILL, then a bounded wait for it to be gone.  (bash may log
# "Killed" for it: expected.)
kill9()
{
	kill -KILL "$1" 2>/dev/null
	wait_until 5 dead "$1"
}

[ -x "$EPMDX" ] || fail "daemon not executable: $EPMDX"
[ -x "$EPMDXCTL" ] || fail "epmdxctl not executable: $EPMDXCTL"

# ---------------------------------------------------------------- config

# make_secret FILE [TEXT]: write a secret file readable by its owner only.
make_secret()
{
	(
		umask 077
		if [ $# -ge 2 ]; then
			printf '%s\n' "$2" >"$1"
		else
			od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$1"
			echo >>"$1"
		fi
	)
	chmod 600 "$1"
}

# write_conf FILE HOSTNAME PEERS [LINE...]: a config with a [sync] section:
# static backend (unless a LINE sets backends), the secret $SECRET (none:
# no secret_file line), ttl
# and interval from SYNC_TTL and SYNC_INTERVAL.  Extra lines go at the end
# of [sync]; a key of one value given there again overrides (the last
# value counts), a list key (peers...) adds to the list.
write_conf()
{
	local file=$1 host=$2 peers=$3 l backends="backends = static"
	shift 3
	for l in "$@"; do
		case $l in
		backends*=*) backends="" ;;
		esac
	done
	{
		printf 'log_level = %s\n\n[sync]\n' "${SYNC_LOG_LEVEL:-info}"
		[ -n "$backends" ] && printf '%s\n' "$backends"
		printf 'hostname = %s\n' "$host"
		[ "${SECRET:-}" = none ] ||
		    printf 'secret_file = %s\n' "${SECRET:-$TMP/secret}"
		[ -n "$peers" ] && printf 'peers = %s\n' "$peers"
		printf 'ttl = %s\ninterval = %s\n' "$SYNC_TTL" "$SYNC_INTERVAL"
		for l in "$@"; do
			printf '%s\n' "$l"
		done
	} >"$file"
}

# ----------------------------------------------------------------- daemon

# daemon_log NAME
daemon_log()
{
	printf '%s/%s.log\n' "$TMP" "$1"
}

# ep_host EP / ep_port EP: the parts of PORT or ADDR:PORT.
ep_host()
{
	case $1 in
	*:*)	printf '%s\n' "${1%:*}" ;;
	*)	printf '127.0.0.1\n' ;;
	esac
}
ep_port()
{
	printf '%s\n' "${1##*:}"
}

# ctl EP ARGS...: epmdxctl against EP, bounded to 10 s; its stdout.
ctl()
{
	local ep=$1
	shift
	timeout -k 2 10 "$EPMDXCTL" --host "$(ep_host "$ep")" \
	    --port "$(ep_port "$ep")" "$@" </dev/null
}

# mesh N: N daemons h1..hN on free ports ${P[0]}..${P[N-1]}, sharing the
# secret $TMP/secret, each with all N as static peers (write_conf); then
# each holds a node nI on port 30000+I, its holder's pid in HPID_I.
mesh()
{
	local n=$1 i all=""
	read -r -a P <<<"$(free_ports "$n")" || fail "no free ports"
	make_secret "$TMP/secret"
	for i in $(seq 1 "$n"); do
		all="$all${all:+, }127.0.0.1:${P[i-1]}"
	done
	for i in $(seq 1 "$n"); do
		write_conf "$TMP/h$i.conf" "h$i" "$all"
		start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
	done
	for i in $(seq 1 "$n"); do
		hold "n$i" "${P[i-1]}" $((30000 + i))
		eval "HPID_$i=$HOLD_PID"
	done
	MESH_N=$n
	MESH_WANT=$(for i in $(seq 1 "$n"); do
		echo "n$i@h$i $((30000 + i))"
	done | sort)
}

# mesh_converged: every daemon of the mesh lists exactly MESH_WANT.
mesh_converged()
{
	local i
	for i in $(seq 1 "$MESH_N"); do
		[ "$(cluster "${P[i-1]}")" = "$MESH_WANT" ] || return 1
	done
}

# fakedns: start fakedns.py on 127.0.0.1 serving the directory $DNS (the
# caller fills it first: addrs, hosts, srv...); its UDP port in DP.
fakedns()
{
	"$PYTHON" "$SYNC_DIR/fakedns.py" 127.0.0.1 "$DNS" </dev/null \
	    >>"$TMP/fakedns.log" 2>&1 &
	track_pid $!
	wait_until 10 test -s "$DNS/port" || fail "fakedns.py did not start"
	DP=$(cat "$DNS/port")
}

# dns_daemon [LINE...]: the daemon "d" on a free port (in P), backend dns
# asking the fakedns at 127.0.0.1:$DP for epmd.test every second; LINEs go
# at the end of [sync] (and may override those keys).
dns_daemon()
{
	P=$(free_port) || fail "no free port"
	make_secret "$TMP/secret"
	write_conf "$TMP/d.conf" h1 "" "backends = dns" \
	    "dns_query = epmd.test" "dns_server = 127.0.0.1:$DP" \
	    "dns_interval = 1" "$@"
	start_daemon_as d "$P" -f "$TMP/d.conf"
}

# ---------------------------------------------------------------- queries

# cluster EP: "name@host port" per node of EP's cluster table, sorted.
cluster()
{
	local out
	out=$(ctl "$1" --json cluster 2>/dev/null) || return 1
	printf '%s' "$out" | "$PYTHON" -c '
import json, sys
for o in json.load(sys.stdin):
    assert o["node"] == o["name"] + "@" + o["host"], o
    print("%s %d" % (o["node"], o["port"]))
' | sort
	return "${PIPESTATUS[1]}"
}

# cluster_has EP NODE [PORT]: NODE is in EP's cluster (with PORT).
cluster_has()
{
	local out
	out=$(cluster "$1") || return 1
	if [ $# -ge 3 ]; then
		printf '%s\n' "$out" | grep -qxF "$2 $3"
	else
		printf '%s\n' "$out" | awk -v n="$2" '$1 == n { f = 1 }
		    END { exit !f }'
	fi
}

# cluster_lacks EP NODE: EP answers and NODE is not in its cluster.
cluster_lacks()
{
	local out
	out=$(cluster "$1") || return 1
	! printf '%s\n' "$out" | awk -v n="$2" '$1 == n { f = 1 }
	    END { exit !f }'
}

# peers EP: "peer state origin sources" per sync peer of EP, sorted.
peers()
{
	local out
	out=$(ctl "$1" --json peers 2>/dev/null) || return 1
	printf '%s' "$out" | "$PYTHON" -c '
import json, sys
for o in json.load(sys.stdin):
    print(o["peer"], o["state"], o["origin"] or "-", o["sources"] or "-")
' | sort
	return "${PIPESTATUS[1]}"
}

# peer_state EP PEER: the state of PEER in EP's peers, "" if absent.
peer_state()
{
	peers "$1" | awk -v p="$2" '$1 == p { print $2 }'
}

# peer_in EP PEER STATE...: PEER's state is one of STATEs.
peer_in()
{
	local ep=$1 peer=$2 st s
	shift 2
	st=$(peer_state "$ep" "$peer")
	for s in "$@"; do
		[ "$st" = "$s" ] && return 0
	done
	return 1
}

# peer_absent EP PEER: EP answers and PEER is not among its peers.
peer_absent()
{
	local out
	out=$(peers "$1") || return 1
	! printf '%s\n' "$out" | awk '{ print $1 }' | grep -qxF "$2"
}

# watch_cluster EP SECS OUT NODE:PORT...: in the background, ask EP for
# CLUSTER (raw request 202, no process per poll) every 20 ms for SECS
# seconds and count the answers lacking any of the NODE:PORT entries; at
# the end write "polls=N missing=M" (and the first bad answer) to OUT.
watch_cluster()
{
	local ep=$1 secs=$2 out=$3
	shift 3
	"$PYTHON" -c '
import sys, time
sys.path.insert(0, sys.argv[1])
import epmd
host, port, secs, out = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), \
    sys.argv[5]
want = set(sys.argv[6:])
polls = missing = 0
first = ""
end = time.monotonic() + secs
while time.monotonic() < end:
    try:
        data = epmd.request(epmd.simple(epmd.X_CLUSTER), host, port, 2.0)
        have = set()
        for line in data.decode().splitlines():
            f = line.split("\t")
            if len(f) >= 3:
                have.add("%s@%s:%s" % (f[0], f[1], f[2]))
    except OSError as e:
        have = set(); data = str(e).encode()
    polls += 1
    if not want <= have:
        missing += 1
        if not first:
            first = "%.3f lacks %s: %r" % (time.monotonic(),
                sorted(want - have), data)
    time.sleep(0.02)
with open(out, "w") as f:
    f.write("polls=%d missing=%d\n%s\n" % (polls, missing, first))
' "$TESTS_LIB" "$(ep_host "$ep")" "$(ep_port "$ep")" "$secs" "$out" "$@" \
	    </dev/null &
	WATCH_PID=$!
	track_pid "$WATCH_PID"
}

# metric HOSTPORT NAME: the value of the metric NAME (no labels) served
# at http://HOSTPORT/metrics, "" if absent or unreachable.
metric()
{
	"$PYTHON" -c '
import sys, urllib.request
try:
    body = urllib.request.urlopen("http://%s/metrics" % sys.argv[1],
        timeout=5).read().decode()
except OSError:
    sys.exit(1)
for line in body.splitlines():
    f = line.split()
    if len(f) == 2 and f[0] == sys.argv[2]:
        print(f[1])
' "$1" "$2" </dev/null
}

# ------------------------------------------------------------ registering

# hold NAME EP NODEPORT: register NAME (ALIVE2, node port NODEPORT) on the
# daemon at EP and keep the registration until stopped (or 300 s); pid in
# HOLD_PID, tracked.  Fails unless the daemon accepts within 10 s.
HOLD_N=0
hold()
{
	local name=$1 ep=$2 nport=$3 out
	HOLD_N=$((HOLD_N + 1))
	out=$TMP/hold-$HOLD_N.out
	"$PYTHON" "$WIRE" -H "$(ep_host "$ep")" -p "$(ep_port "$ep")" \
	    --register "$name" "$nport" --timeout 300 >"$out" 2>&1 </dev/null &
	HOLD_PID=$!
	track_pid "$HOLD_PID"
	wait_until 10 grep -qs . "$out" || fail "no ALIVE2 reply for $name"
	grep -qx '7600[0-9a-f]\{8\}' "$out" ||
	    fail "registration of $name refused: $(cat "$out")"
}

# burst PORT N: see above.
burst()
{
	"$PYTHON" "$SYNC_DIR/burst.py" "$1" "$2" "$TMP/ready" "$TMP/release" \
	    </dev/null >"$TMP/burst.out" 2>&1 &
	BURST=$!
	track_pid "$BURST"
	wait_until 30 test -s "$TMP/ready" ||
	    fail "the burst did not complete: $(cat "$TMP/burst.out")"
	grep -qx 'bad=0' "$TMP/ready" ||
	    fail "registrations refused: $(cat "$TMP/ready")"
}

# old_epmdx: see above.
OLD_REV=1c6074b
old_epmdx()
{
	local dir
	if [ -n "${EPMDX_OLD:-}" ]; then
		OLD=$(resolve_bin "$EPMDX_OLD")
		[ -x "$OLD" ] || fail "EPMDX_OLD not executable: $OLD"
		return
	fi
	dir=$(dirname "$EPMDX")/old-$OLD_REV
	if [ ! -x "$dir/build/epmdx" ]; then
		git -C "$REPO_ROOT" cat-file -e "$OLD_REV^{commit}" 2>/dev/null ||
		    skip "no EPMDX_OLD and commit $OLD_REV not in this clone"
		rm -rf "$dir.$$" && mkdir -p "$dir.$$" &&
		    git -C "$REPO_ROOT" archive "$OLD_REV" | tar -x -C "$dir.$$" &&
		    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$dir.$$" \
		    -j2 SANITIZE=0 BUILD=build build/epmdx \
		    >"$TMP/old-build.log" 2>&1 ||
		    fail "cannot build $OLD_REV: $(tail -5 "$TMP/old-build.log")"
		# Another test may have built it meanwhile: either copy does.
		mv -T "$dir.$$" "$dir" 2>/dev/null || rm -rf "$dir.$$"
	fi
	OLD=$dir/build/epmdx
}
