#!/usr/bin/env bash
# Makes throw-away certificates for the peers' inter-site link: one EC P-256 CA and one
# certificate per site (site-a, site-b), each valid as TLS server and client for 127.0.0.1 and
# for its site's name (DNS:site-a, DNS:site-b), which a client that checks the server's name by
# SNI, as RabbitMQ's shovel does, can ask for.
# Usage: certs.sh DIR   (DIR is replaced)
set -euo pipefail
dir="${1:?usage: certs.sh DIR}"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
  -subj "/CN=hotline-bench-ca" -keyout ca.key -out ca.crt 2>/dev/null
for site in site-a site-b; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=$site" -keyout "$site.key" -out "$site.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=IP:127.0.0.1,DNS:$site" > "$site.ext"
  openssl x509 -req -in "$site.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 \
    -extfile "$site.ext" -out "$site.crt" 2>/dev/null
  rm -f "$site.csr" "$site.ext"
done
openssl verify -CAfile ca.crt site-a.crt site-b.crt >/dev/null
