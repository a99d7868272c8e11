#!/bin/bash
# 74-etcd-tls: etcd on https with client certificates required, all made
# here with openssl.  Two daemons with the right CA, certificate and key
# converge through it; a third with a certificate from another CA is
# refused, and says so clearly in its log, serving its local node alone;
# a fourth that trusts another CA refuses etcd, and says so.
. "$(dirname "$0")/lib.sh"
. "$SYNC_DIR/../lib/etcd.sh"
etcd_need
command -v openssl >/dev/null || skip "openssl not installed"
on_exit show_logs

# ca NAME: a CA; cert CA NAME [SAN]: a certificate it signs.
ca()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -days 2 -subj "/CN=$1" -keyout "$TMP/$1.key" -out "$TMP/$1.pem" \
	    2>/dev/null || fail "openssl: CA $1"
}
cert()
{
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "/CN=$2" -keyout "$TMP/$2.key" -out "$TMP/$2.csr" \
	    2>/dev/null || fail "openssl: request $2"
	printf 'subjectAltName = %s\nextendedKeyUsage = serverAuth, clientAuth\n' \
	    "${3:-DNS:$2}" >"$TMP/$2.ext"
	openssl x509 -req -in "$TMP/$2.csr" -CA "$TMP/$1.pem" \
	    -CAkey "$TMP/$1.key" -CAcreateserial -days 2 \
	    -extfile "$TMP/$2.ext" -out "$TMP/$2.pem" 2>/dev/null ||
	    fail "openssl: sign $2"
	chmod 600 "$TMP/$2.key"
}
ca ca
ca other
cert ca server "IP:127.0.0.1"
cert ca client
cert other rogue

ETCD_SCHEME=https
ETCDCTL_TLS="--cacert $TMP/ca.pem --cert $TMP/client.pem --key $TMP/client.key"
etcd_start e --cert-file "$TMP/server.pem" --key-file "$TMP/server.key" \
    --client-cert-auth --trusted-ca-file "$TMP/ca.pem"

read -r -a P <<<"$(free_ports 4)" || fail "no free ports"
make_secret "$TMP/secret"
for i in 1 2; do
	etcd_conf "$TMP/h$i.conf" "h$i" "$ETCD_URL" \
	    "etcd_cacert = $TMP/ca.pem" "etcd_cert = $TMP/client.pem" \
	    "etcd_key = $TMP/client.key"
done
etcd_conf "$TMP/h3.conf" h3 "$ETCD_URL" "etcd_cacert = $TMP/ca.pem" \
    "etcd_cert = $TMP/rogue.pem" "etcd_key = $TMP/rogue.key"
etcd_conf "$TMP/h4.conf" h4 "$ETCD_URL" "etcd_cacert = $TMP/other.pem" \
    "etcd_cert = $TMP/client.pem" "etcd_key = $TMP/client.key"
for i in 1 2 3 4; do
	start_daemon_as "h$i" "${P[i-1]}" -f "$TMP/h$i.conf"
	hold "n$i" "${P[i-1]}" $((30000 + i))
done
MESH_N=2
MESH_WANT=$(printf 'n1@h1 30001\nn2@h2 30002\n')
wait_until 20 mesh_converged || {
	cluster "${P[0]}"; cluster "${P[1]}"
	fail "no convergence over TLS within 20 s"
}
refused()
{
	grep -q "etcd: $ETCD_URL: .*TLS: .*\(certificate\|unknown ca\)" \
	    "$TMP/h3.log"
}
wait_until 10 refused || fail "h3 did not log why etcd refused it"
note "h3 logs: $(grep -m1 'TLS:' "$TMP/h3.log")"
assert_eq "$(cluster "${P[2]}")" "n3@h3 30003" "h3's cluster"
assert_eq "$(peers "${P[2]}")" "$ETCD_URL connecting - etcd" "h3's peers"
cluster_lacks "${P[0]}" n3@h3 || fail "h1 lists the refused h3's node"
# h4 does not trust etcd's certificate.
wait_until 10 grep -q "TLS: .*etcd's certificate is not one etcd_cacert trusts" \
    "$TMP/h4.log" || fail "h4 did not log why it refused etcd"
cluster_lacks "${P[0]}" n4@h4 || fail "h1 lists h4's node"
exit 0
