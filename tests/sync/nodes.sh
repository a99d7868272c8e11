# nodes.sh: sourced (after lib.sh) by the tests that run real BEAM nodes
# on three loopback "hosts" h1, h2, h3 whose names nothing resolves.
#
#   three_hosts            daemons h1..h3 on 127.0.0.1, ports ${P[0..2]},
#                          one static mesh; daemon hK advertises
#                          127.0.0.K, so the cluster table says node@hK
#                          runs at 127.0.0.K (every BEAM node listens on
#                          all of 127/8)
#   beam K NAME [ARG...]   a node NAME@hK (-sname) on daemon hK, in the
#                          background until the test ends; ARGs go to erl
#                          (e.g. -epmd_module epmdx_epmd, -eval ...); its
#                          pid in BPID_NAME, output in $TMP/NAME.log
#   beam_once K NAME SECS ARG...   the same in the foreground, bounded to
#                          SECS; its output on stdout
#   MOD                    the arguments that make a node use epmdx_epmd
#
# Every node gets ERL_INETRC=$TMP/inetrc: host names are looked up in an
# empty hosts file only, so h1..h3 resolve nowhere and no lookup leaves
# the machine; a node reaches another only through its daemon's table.
# Skips when erl or the built modules (build/ebin) are missing.

for b in erl; do
	command -v "$b" >/dev/null 2>&1 || skip "$b not installed"
done
NODE_EBIN=$(dirname "$EPMDX")/ebin
[ -e "$NODE_EBIN/epmdx_epmd.beam" ] ||
    skip "no $NODE_EBIN/epmdx_epmd.beam (make builds it where erlc is)"
COOKIE=epmdxnodes
MOD="-epmd_module epmdx_epmd"
: >"$TMP/hosts"
printf '{lookup, [file]}.\n{hosts_file, "%s"}.\n' "$TMP/hosts" >"$TMP/inetrc"

three_hosts()
{
	local k all=""
	read -r -a P <<<"$(free_ports 3)" || fail "no free ports"
	make_secret "$TMP/secret"
	for k in 1 2 3; do
		all="$all${all:+, }127.0.0.1:${P[k-1]}"
	done
	for k in 1 2 3; do
		write_conf "$TMP/h$k.conf" "h$k" "$all" \
		    "advertise = 127.0.0.$k:${P[k-1]}"
		start_daemon_as "h$k" "${P[k-1]}" -f "$TMP/h$k.conf"
	done
}

# beam_env K: the environment of a node on host K.
beam_env()
{
	printf '%s\n' "ERL_EPMD_PORT=${P[$1-1]}" "ERL_INETRC=$TMP/inetrc" \
	    "HOME=$HOME" "ERL_CRASH_DUMP=$TMP/erl_crash.dump"
}

beam()
{
	local k=$1 name=$2
	shift 2
	# shellcheck disable=SC2046
	env $(beam_env "$k") erl -sname "$name@h$k" -setcookie "$COOKIE" \
	    -start_epmd false -noshell -pa "$NODE_EBIN" "$@" \
	    >"$TMP/$name.log" 2>&1 </dev/null &
	track_pid $!
	eval "BPID_$name=$!"
}

beam_once()
{
	local k=$1 name=$2 secs=$3
	shift 3
	# shellcheck disable=SC2046
	timeout -k 2 "$secs" env $(beam_env "$k") erl -sname "$name@h$k" \
	    -setcookie "$COOKIE" -start_epmd false -noshell \
	    -pa "$NODE_EBIN" "$@" </dev/null
}

# registered EP NAME: NAME is in daemon EP's own names (the node is up).
registered()
{
	ctl "$1" names 2>/dev/null | grep -q "^name $2 at port "
}
