#!/bin/bash
# 14-no-secret: [sync] backends set but no secret_file.  Checks that the
# daemon refuses to start (exit 1, within 10 s, nothing left listening)
# with a message on stderr naming secret_file, and that the configuration
# check `epmdx -n -f FILE` reports the same error and exits 1.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port) || fail "no free port"
cat >"$TMP/nosecret.conf" <<EOF
[sync]
backends = static
hostname = h1
peers = 127.0.0.1:$PORT
ttl = 4
interval = 1
EOF

timeout -k 2 10 "$EPMDX" -port "$PORT" -f "$TMP/nosecret.conf" \
    >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
note "daemon: exit $rc, stderr: $(cat "$TMP/err")"
[ $rc = 124 ] && fail "the daemon ran without a secret (stopped by timeout)"
[ $rc = 1 ] || fail "the daemon exited $rc, not 1"
grep -q 'secret_file' "$TMP/err" || fail "stderr does not mention secret_file"
grep -qi 'sync' "$TMP/err" || fail "stderr does not say it is about sync"
if ctl "$PORT" status >/dev/null 2>&1; then
	fail "something answers on port $PORT after the refusal"
fi

timeout -k 2 10 "$EPMDX" -n -f "$TMP/nosecret.conf" >"$TMP/nout" \
    2>"$TMP/nerr" </dev/null
rc=$?
note "-n: exit $rc, stderr: $(cat "$TMP/nerr")"
[ $rc = 1 ] || fail "epmdx -n accepts a config with backends and no secret_file (exit $rc)"
grep -q 'secret_file' "$TMP/nerr" || fail "epmdx -n does not mention secret_file"
exit 0
