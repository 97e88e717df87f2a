#!/usr/bin/env bash
# Make the test PKI for the StartMessaging stand-in:
#
#   t/standin/make-certs.sh OUTDIR
#
# creates in OUTDIR, with the openssl CLI:
#   ca.crt, ca.key              the test CA
#   server.crt, server.key      signed by the test CA, for DNS:localhost,
#                               DNS:api.test, IP:127.0.0.1
#   wrong-ca.crt, wrong-ca.key  an unrelated CA (for "unknown issuer" tests)
# All valid for 10 years.  Does nothing if OUTDIR/server.crt is newer than
# this script.  Quiet on success; on failure prints openssl's output.

set -euo pipefail

if [[ $# -ne 1 || -z $1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

out=$1
self=${BASH_SOURCE[0]}
days=3650

if [[ -f $out/server.crt && $out/server.crt -nt $self ]]; then
    exit 0
fi

mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/openssl.log

cat > "$work/openssl.cnf" <<'EOF'
[ req ]
distinguished_name = dn
prompt             = no

[ dn ]
CN = placeholder

[ ca_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ server_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, DNS:api.test, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid, issuer
EOF

run() {
    if ! "$@" >> "$log" 2>&1; then
        echo "make-certs.sh: failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
}

serial() {
    echo "0x$(openssl rand -hex 16)"
}

make_ca() {    # NAME CN
    run openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 \
        -config "$work/openssl.cnf" -extensions ca_ext \
        -subj "/O=smotp tests/CN=$2" -days "$days" -set_serial "$(serial)" \
        -keyout "$work/$1.key" -out "$work/$1.crt"
}

make_ca ca "smotp test CA"
make_ca wrong-ca "smotp unrelated CA"

run openssl req -new -newkey rsa:2048 -nodes -sha256 \
    -config "$work/openssl.cnf" -subj "/O=smotp tests/CN=localhost" \
    -keyout "$work/server.key" -out "$work/server.csr"
run openssl x509 -req -sha256 -in "$work/server.csr" \
    -CA "$work/ca.crt" -CAkey "$work/ca.key" -set_serial "$(serial)" \
    -days "$days" -extfile "$work/openssl.cnf" -extensions server_ext \
    -out "$work/server.crt"
run openssl verify -CAfile "$work/ca.crt" "$work/server.crt"

chmod 600 "$work"/*.key
chmod 644 "$work"/*.crt
# server.crt last: its presence means the set is complete.
for f in ca.key ca.crt wrong-ca.key wrong-ca.crt server.key server.crt; do
    mv -f "$work/$f" "$out/$f"
done
