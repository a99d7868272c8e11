#!/bin/bash
# [access] allow lists: a peer that is not local (stock's rule) and not in
# names_allow, port_please_allow or sync_allow has its NAMES, PORT_PLEASE2
# or sync opening closed unanswered, each counted in
# epmdx_access_refused_total; local peers (127.0.0.2 here) keep what
# stock gives them whatever the lists say; SIGHUP applies new lists.
#
# Runs in a network namespace of its own (unshare -n: needs root) whose
# lo carries 192.0.2.1 and 192.0.2.2: the daemon listens on 192.0.2.1,
# and a client bound to 192.0.2.2 is a remote peer to it, with no
# traffic leaving the namespace.
. "$(dirname "$0")/../lib/remote-netns.sh" "$@"
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip "curl not installed"

MPORT=$(free_port) || fail "no free port"
SECRET="$TMP/secret"
head -c 32 /dev/urandom | base64 >"$SECRET"
chmod 600 "$SECRET"
# conf NAMES_ALLOW PORT_PLEASE_ALLOW: the configuration file.
conf()
{
	write_conf "[access]" "names_allow = $1" "port_please_allow = $2" \
	    "sync_allow = none" \
	    "[metrics]" "listen = 127.0.0.1:$MPORT" \
	    "[sync]" "backends = static" "secret_file = $SECRET" \
	    "peers = 192.0.2.9:$PORT" "advertise = 192.0.2.1:$PORT"
}
# from ADDR ARGS...: hc from source address ADDR to the daemon.
from()
{
	local src=$1
	shift
	EPMD_HOST=192.0.2.1 EPMD_BIND=$src hc "$@"
}
# refused REQUEST: the metric's value for one request kind.
refused()
{
	curl -s -m 5 "http://127.0.0.1:$MPORT/metrics" | awk -v \
	    k="epmdx_access_refused_total{request=\"$1\"}" '$1 == k { print $2 }'
}
# unanswered REQ...: hc req from 192.0.2.2 gets no byte back.
unanswered()
{
	local out
	out=$(from 192.0.2.2 req "$@") || fail "req $*: client failed"
	[ "$(printf '%s\n' "$out" | head -n 1)" = 0 ] ||
	    fail "req $* from 192.0.2.2 answered: $out"
}

conf "10.0.0.0/8" "192.0.2.0/24"
start_daemon -f "$TMP/epmdx.conf" -address 192.0.2.1
start_holder node register acl 1 "$TMP/node.ready" 60
wait_ready node 20

# NAMES: 192.0.2.2 is refused; 127.0.0.2 is local and answered.
unanswered 110
[ "$(refused names)" = 1 ] || fail "names refusals: $(refused names)"
grep -q 'access refused peer=192.0.2.2:[0-9]* request=NAMES' \
    "$TMP/daemon.log" || fail "no log line for the refusal"
EPMD_BIND=127.0.0.2 hc names | grep -q '^name acl0000 at port' ||
    fail "NAMES from 127.0.0.2 (local) not answered"
from 192.0.2.1 names | grep -q '^name acl0000 at port' ||
    fail "NAMES from the daemon's own address (local) not answered"
# PORT_PLEASE2 is in its list; a sync opening is in none.
[ "$(from 192.0.2.2 port2 acl0000)" = "port 1024" ] ||
    fail "PORT_PLEASE2 from 192.0.2.2 not answered"
unanswered 201 "1$(printf '%032d' 0)"
[ "$(refused sync)" = 1 ] || fail "sync refusals: $(refused sync)"
[ "$(refused port_please2)" = 0 ] ||
    fail "port_please2 refusals: $(refused port_please2)"

# Reload: NAMES now open to 192.0.2.0/24, PORT_PLEASE2 closed to it.
conf "192.0.2.0/24" "10.0.0.0/8"
kill -HUP "$DAEMON_PID"
wait_until 10 grep -q 'configuration reloaded' "$TMP/daemon.log" ||
    fail "no reload"
from 192.0.2.2 names | grep -q '^name acl0000 at port' ||
    fail "NAMES from 192.0.2.2 refused after the reload"
unanswered 122 acl0000
[ "$(refused port_please2)" = 1 ] ||
    fail "port_please2 refusals: $(refused port_please2)"
[ "$(refused names)" = 1 ] || fail "names refusals: $(refused names)"
[ "$(status_get registrations)" = 1 ] || fail "registration lost"
daemon_ok
note "refused NAMES, PORT_PLEASE2 and sync from 192.0.2.2; reload applied"
