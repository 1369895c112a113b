#!/bin/sh
# The compose lab's cluster CA and one certificate per process, made at start by the `certs`
# service into the `certs` volume when missing (kept across restarts; `docker volume rm
# triad-certs` starts over with a new CA). Every process mounts the volume and presents its own
# certificate on every gRPC channel (mutual TLS); `admin` is for the CLI.
set -e
dir=/etc/triad/certs
cli() { node --enable-source-maps /app/dist/cli.js "$@"; }
[ -s "$dir/ca/ca.crt" ] || cli certs init --ca-dir "$dir/ca"
for name in storage-a-1 storage-a-2 storage-b-1 storage-b-2 storage-c-1 storage-c-2 router-1 router-2 admin; do
  [ -s "$dir/$name/tls.crt" ] || cli certs issue --ca-dir "$dir/ca" --name "$name" --host "$name" --out "$dir/$name"
done
echo "certificates in $dir: CA ca/ca.crt; one directory per process"
