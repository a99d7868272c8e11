#!/bin/bash
# 75-etcd-auth: etcd with authentication on, a user allowed only under
# /epmdx/.  Two daemons authenticate from their etcd_password_file (one
# "user:password" line; user and password on two lines) and converge; a
# wrong password is refused with etcd's reason in the log; a password file
# that group members can read is refused at startup.
. "$(dirname "$0")/lib.sh"
. "$SYNC_DIR/../lib/etcd.sh"
etcd_need
on_exit show_logs

etcd_start e
etcd_ctl user add root:rootpw >/dev/null || fail "user add root"
etcd_ctl user grant-role root root >/dev/null || fail "grant-role root"
etcd_ctl role add epmdx >/dev/null || fail "role add"
etcd_ctl role grant-permission epmdx --prefix=true readwrite /epmdx/ \
    >/dev/null || fail "grant-permission"
etcd_ctl user add 'epmdx:s3cr"t pw' >/dev/null || fail "user add epmdx"
etcd_ctl user grant-role epmdx epmdx >/dev/null || fail "grant-role"
etcd_ctl auth enable >/dev/null || fail "auth enable"
etcd_ctl get /epmdx/x >/dev/null 2>&1 && fail "etcd still open without a user"
ETCDCTL_TLS="--user root:rootpw"

pwfile()
{
	(umask 077; printf '%s' "$2" >"$TMP/$1")
}
pwfile pw1 'epmdx:s3cr"t pw'
pwfile pw2 $'epmdx\ns3cr"t pw\n'
pwfile pw3 'epmdx:wrong'
pwfile pw4 'epmdx:s3cr"t pw'
chmod 640 "$TMP/pw4"

read -r -a P <<<"$(free_ports 4)" || fail "no free ports"
make_secret "$TMP/secret"
for i in 1 2 3 4; do
	etcd_conf "$TMP/h$i.conf" "h$i" "$ETCD_URL" \
	    "etcd_password_file = $TMP/pw$i"
done
for i in 1 2 3; do
	start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
	hold "n$i" "${P[i-1]}" $((30000 + i))
done
MESH_N=2
MESH_WANT=$(printf 'n1@h1 30001\nn2@h2 30002\n')
wait_until 20 mesh_converged || {
	cluster "${P[0]}"; cluster "${P[1]}"
	fail "no convergence with authentication within 20 s"
}
refused()
{
	grep -q "etcd: $ETCD_URL: authenticate: .*authentication failed" \
	    "$TMP/h3.log"
}
wait_until 10 refused || fail "h3 did not log etcd's refusal"
note "h3 logs: $(grep -m1 'authenticate:' "$TMP/h3.log")"
cluster_lacks "${P[0]}" n3@h3 || fail "h1 lists the refused h3's node"
assert_eq "$(etcd_ctl get --prefix /epmdx/ --keys-only | grep .)" \
    "$(printf '/epmdx/default/h1/n1\n/epmdx/default/h2/n2')" "keys in etcd"

# Open to the group: the daemon does not start.
timeout 10 "$EPMDX" -port "${P[3]}" -f "$TMP/h4.conf" >"$TMP/h4.log" 2>&1 &&
    fail "h4 ran with a group-readable password file"
grep -q "etcd_password_file $TMP/pw4: open to group or others" \
    "$TMP/h4.log" || fail "h4's refusal unclear: $(cat "$TMP/h4.log")"
exit 0
