# etcd.sh: a real etcd for the tests of the etcd backend (bash; sourced
# after tests/sync/lib.sh, which it needs for TMP, free_ports, track_pid
# and kill_wait).  Every member listens on 127.0.0.1 only, on free ports,
# with its data under $TMP; each is stopped by pid at exit.
#
#   etcd_need                skip (exit 77) unless etcd and etcdctl are
#                            installed
#   etcd_start NAME [ARGS]   a single-member cluster NAME; its client URL in
#                            ETCD_URL (and ETCD_URL_NAME), its pid in
#                            ETCD_PID_NAME.  Started again after etcd_stop,
#                            it keeps its ports and its data.
#   etcd_cluster3            members m1 m2 m3 of one cluster; ETCD_URLS is
#                            "url1, url2, url3"
#   etcd_stop NAME           TERM, then KILL after 5 s
#   etcd_kill NAME           KILL
#   etcd_ctl ARGS...         etcdctl against $ETCD_URL (bounded to 10 s)
#   etcd_leader              the name of the three-member cluster's leader
#   etcd_conf FILE HOST ENDPOINTS [LINE...]  a daemon config: write_conf
#                            with backends = etcd
#   etcd_pair                etcd e, daemons h1 and h2 (ports ${P[0..1]})
#                            on it, each holding nI@hI on port 3000I,
#                            converged (MESH_N, MESH_WANT set)
#   etcd_lease KEY           the lease ID KEY is attached to
#
# ETCD and ETCDCTL (default /usr/bin/etcd, /usr/bin/etcdctl) may point
# elsewhere.

ETCD=${ETCD:-/usr/bin/etcd}
ETCDCTL=${ETCDCTL:-/usr/bin/etcdctl}

etcd_need()
{
	[ -x "$ETCD" ] && [ -x "$ETCDCTL" ] ||
	    skip "etcd not installed ($ETCD, $ETCDCTL): apt-get install etcd-server etcd-client"
}

# etcd_ports NAME: client and peer port of NAME, chosen once.
etcd_ports()
{
	local f=$TMP/etcd-$1.ports
	[ -s "$f" ] || free_ports 2 >"$f" || fail "no free ports for etcd"
	cat "$f"
}

# etcd_run NAME CLUSTER STATE [ARGS...]: start member NAME of CLUSTER
# ("name=peerurl,...").
etcd_run()
{
	local name=$1 cluster=$2 state=$3 cp pp pid
	shift 3
	read -r cp pp <<<"$(etcd_ports "$name")"
	"$ETCD" --name "$name" --data-dir "$TMP/etcd-$name.data" \
	    --listen-client-urls "${ETCD_SCHEME:-http}://127.0.0.1:$cp" \
	    --advertise-client-urls "${ETCD_SCHEME:-http}://127.0.0.1:$cp" \
	    --listen-peer-urls "http://127.0.0.1:$pp" \
	    --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
	    --initial-cluster "$cluster" --initial-cluster-state "$state" \
	    --initial-cluster-token "epmdx-test-$$" \
	    --heartbeat-interval 50 --election-timeout 500 \
	    --logger zap --log-level warn "$@" \
	    </dev/null >>"$TMP/etcd-$name.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	eval "ETCD_PID_$name=$pid"
	eval "ETCD_URL_$name=${ETCD_SCHEME:-http}://127.0.0.1:$cp"
}

# etcd_healthy URL: the member at URL answers and the cluster has a leader.
etcd_healthy()
{
	timeout 5 "$ETCDCTL" --endpoints "$1" ${ETCDCTL_TLS:-} \
	    endpoint health >/dev/null 2>&1
}

etcd_start()
{
	local name=$1 pp
	shift
	read -r _ pp <<<"$(etcd_ports "$name")"
	etcd_run "$name" "$name=http://127.0.0.1:$pp" new "$@"
	ETCD_URL=$(eval "echo \$ETCD_URL_$name")
	wait_until 20 etcd_healthy "$ETCD_URL" ||
	    fail "etcd $name did not start: $(tail -5 "$TMP/etcd-$name.log")"
}

etcd_cluster3()
{
	local i pp cluster=""
	for i in 1 2 3; do
		read -r _ pp <<<"$(etcd_ports "m$i")"
		cluster="$cluster${cluster:+,}m$i=http://127.0.0.1:$pp"
	done
	ETCD_URLS=""
	for i in 1 2 3; do
		etcd_run "m$i" "$cluster" new
		ETCD_URLS="$ETCD_URLS${ETCD_URLS:+, }$(eval "echo \$ETCD_URL_m$i")"
	done
	ETCD_URL=$ETCD_URL_m1
	for i in 1 2 3; do
		wait_until 30 etcd_healthy "$(eval "echo \$ETCD_URL_m$i")" ||
		    fail "etcd member m$i did not start"
	done
}

etcd_stop()
{
	kill_wait "$(eval "echo \$ETCD_PID_$1")"
}

etcd_kill()
{
	local pid
	pid=$(eval "echo \$ETCD_PID_$1")
	kill -KILL "$pid" 2>/dev/null
	wait_until 5 dead "$pid"
}

etcd_ctl()
{
	timeout -k 2 10 "$ETCDCTL" --endpoints "${ETCD_CTL_URL:-$ETCD_URL}" \
	    ${ETCDCTL_TLS:-} "$@"
}

# etcd_leader: the name (m1..m3) of the leader, "" if none answers.
etcd_leader()
{
	local i url
	for i in 1 2 3; do
		url=$(eval "echo \$ETCD_URL_m$i")
		alive "$(eval "echo \$ETCD_PID_m$i")" || continue
		if timeout 5 "$ETCDCTL" --endpoints "$url" -w json \
		    endpoint status 2>/dev/null | "$PYTHON" -c '
import json, sys
s = json.load(sys.stdin)[0]["Status"]
sys.exit(0 if s["leader"] == s["header"]["member_id"] else 1)'; then
			echo "m$i"
			return
		fi
	done
}

etcd_conf()
{
	local file=$1 host=$2 eps=$3
	shift 3
	write_conf "$file" "$host" "" "backends = etcd" \
	    "etcd_endpoints = $eps" "$@"
}

etcd_pair()
{
	local i
	etcd_start e
	read -r -a P <<<"$(free_ports 2)" || fail "no free ports"
	make_secret "$TMP/secret"
	for i in 1 2; do
		etcd_conf "$TMP/h$i.conf" "h$i" "$ETCD_URL"
		start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
		hold "n$i" "${P[i-1]}" $((30000 + i))
	done
	MESH_N=2
	MESH_WANT=$(printf 'n1@h1 30001\nn2@h2 30002\n')
	wait_until 20 mesh_converged || fail "no convergence through etcd"
}

etcd_lease()
{
	etcd_ctl get "$1" -w json | "$PYTHON" -c \
	    'import json,sys; print(json.load(sys.stdin)["kvs"][0]["lease"])'
}
