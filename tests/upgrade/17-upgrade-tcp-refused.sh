#!/bin/bash
# 17-upgrade-tcp-refused: UPGRADE (205) over TCP changes nothing, whoever
# asks: a local unprivileged user (nobody, no groups) sending the raw
# request, and an epmdxctl of the old kind, both get "ERR ... use the
# control socket ...", the daemon logs no "upgrade requested" and keeps
# its pid, and nothing is re-executed.  Root over TCP gets the same
# answer: TCP cannot tell who asks.
. "$(dirname "$0")/lib.sh"
epmdx_only
command -v setpriv >/dev/null || skip "setpriv not installed"

start_daemon -d

# tcp_upgrade [SETPRIV-ARGS...]: the raw request, answer on stdout.
tcp_upgrade()
{
	timeout -k 2 10 "$@" bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" &&
	    printf "\000\001\315" >&3 && cat <&3' "$PORT"
}

AS_NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
log_mark
ans=$(tcp_upgrade "${AS_NOBODY[@]}")
assert_match "$ans" "ERR .*use the control socket .*$CTL_SOCK.*" \
    "answer to nobody's TCP UPGRADE"
ans=$(tcp_upgrade)
assert_match "$ans" "ERR .*use the control socket .*" \
    "answer to root's TCP UPGRADE"
sleep 0.5
assert_eq "$(log_count 'upgrade requested|upgrade: exec')" 0 \
    "upgrades started from TCP"
wait_log 1 'UPGRADE refused .*control socket' 5
alive "$DAEMON_PID" || fail "daemon pid $DAEMON_PID gone"
daemon_ok
