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
#   make_secret FILE [TEXT]        a 0600 secret file (random if no TEXT)
#   write_conf FILE HOSTNAME PEERS [LINE...]   a [sync] config, static
#                                  backend, ttl $SYNC_TTL, interval
#                                  $SYNC_INTERVAL; extra LINEs end up in
#                                  [sync] and may override those keys
#   start_daemon NAME PORT CONF [ARGS...]      epmdx -port PORT -f CONF;
#                                  log $TMP/NAME.log, pid in DPID_NAME
#   start_daemon_at NAME ADDR PORT CONF [ARGS...]   the same, listening only
#                                  on ADDR:PORT (a socket passed as systemd
#                                  does), so several daemons share a port
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
#   hold NAME EP NODEPORT          a raw ALIVE2 registration held by a
#                                  python process (pid in HOLD_PID, tracked)
#                                  until it is stopped or 300 s pass

SYNC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
. "$SYNC_DIR/../lib/common.sh"
KEEP_TMP=${KEEP_TMP:-${SYNC_KEEP:-}}
test_setup sync

SYNC_TTL=${SYNC_TTL:-4}
SYNC_INTERVAL=${SYNC_INTERVAL:-1}

EPMDX=$(resolve_bin "${EPMDX:-build/epmdx}")
EPMDXCTL=$(resolve_bin "${EPMDXCTL:-$(dirname "$EPMDX")/epmdxctl}")

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
# static backend, the secret $SECRET, ttl and interval from SYNC_TTL and
# SYNC_INTERVAL.  Extra lines go at the end of [sync]; a key given there
# again overrides (inih keeps the last value).
write_conf()
{
	local file=$1 host=$2 peers=$3 l
	shift 3
	{
		printf 'log_level = info\n\n[sync]\n'
		printf 'backends = static\n'
		printf 'hostname = %s\n' "$host"
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

# daemon_up EP PID: PID alive and STATUS answered on EP.
daemon_up()
{
	alive "$2" && ctl "$1" status >/dev/null 2>&1
}

# wait_daemon NAME EP PID: bounded wait (10 s) for a daemon to answer.
wait_daemon()
{
	local end=$(( $(now_ms) + 10000 ))
	while ! daemon_up "$2" "$3"; do
		if ! alive "$3"; then
			cat "$(daemon_log "$1")" >&2
			# Gone already, so this wait does not block.
			wait "$3" 2>/dev/null
			fail "daemon $1 (pid $3) exited during startup, status $? (0 and no message: port busy)"
		fi
		[ "$(now_ms)" -ge "$end" ] &&
		    fail "daemon $1 not answering on $2 after 10 s"
		sleep 0.05
	done
}

# start_daemon NAME PORT CONF [ARGS...]: start epmdx in the background;
# pid in DAEMON_PID and DPID_NAME (NAME a shell identifier).
start_daemon()
{
	local name=$1 port=$2 conf=$3
	shift 3
	"$EPMDX" -port "$port" -f "$conf" "$@" \
	    >>"$(daemon_log "$name")" 2>&1 </dev/null &
	DAEMON_PID=$!
	track_pid "$DAEMON_PID"
	eval "DPID_$name=$DAEMON_PID"
	wait_daemon "$name" "$port" "$DAEMON_PID"
}

# start_daemon_at NAME ADDR PORT CONF [ARGS...]: start epmdx listening only
# on ADDR:PORT, through a socket bound here and passed as systemd passes
# one (LISTEN_FDS); python binds it and execs the daemon, so the pid is the
# daemon's.
start_daemon_at()
{
	local name=$1 addr=$2 port=$3 conf=$4
	shift 4
	"$PYTHON" -c '
import os, socket, sys
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(128)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ.pop("LISTEN_FDNAMES", None)
os.execv(sys.argv[3], sys.argv[3:])
' "$addr" "$port" "$EPMDX" -port "$port" -f "$conf" "$@" \
	    >>"$(daemon_log "$name")" 2>&1 </dev/null &
	DAEMON_PID=$!
	track_pid "$DAEMON_PID"
	eval "DPID_$name=$DAEMON_PID"
	wait_daemon "$name" "$addr:$port" "$DAEMON_PID"
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
import socket, struct, sys, time
host, port, secs, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
    sys.argv[4]
want = set(sys.argv[5:])
polls = missing = 0
first = ""
end = time.monotonic() + secs
while time.monotonic() < end:
    try:
        s = socket.create_connection((host, port), timeout=2)
        s.sendall(struct.pack(">HB", 1, 202))
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
        s.close()
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
' "$(ep_host "$ep")" "$(ep_port "$ep")" "$secs" "$out" "$@" </dev/null &
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
	"$PYTHON" -c '
import socket, struct, sys, time
name, host, port, nport = sys.argv[1].encode(), sys.argv[2], \
    int(sys.argv[3]), int(sys.argv[4])
body = struct.pack(">BHBBHHH", 120, nport, 77, 0, 6, 5, len(name)) + \
    name + struct.pack(">H", 0)
s = socket.create_connection((host, port), timeout=10)
s.sendall(struct.pack(">H", len(body)) + body)
r = b""
while len(r) < 2 or (r[0] == 118 and len(r) < 6) or (r[0] == 121 and len(r) < 4):
    d = s.recv(16)
    if not d:
        break
    r += d
print("ok" if len(r) >= 2 and r[1] == 0 else "refused " + r.hex(), flush=True)
if len(r) < 2 or r[1] != 0:
    sys.exit(1)
s.settimeout(300)
try:
    s.recv(1)
except OSError:
    pass
' "$name" "$(ep_host "$ep")" "$(ep_port "$ep")" "$nport" \
	    >"$out" 2>&1 </dev/null &
	HOLD_PID=$!
	track_pid "$HOLD_PID"
	wait_until 10 grep -qs . "$out" || fail "no ALIVE2 reply for $name"
	grep -qx ok "$out" || fail "registration of $name refused: $(cat "$out")"
}
