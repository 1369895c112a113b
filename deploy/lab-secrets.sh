#!/bin/sh
# Makes the compose lab's secrets (deploy/secrets/, kept out of git) if they are missing: the master
# key that seals access keys' secrets (routers) and wraps data keys (storage nodes' encryption at
# rest), and a credentials file with one admin key. The processes read
# them as compose secrets (/run/secrets/...), as Kubernetes pods read the Secret triad-auth.
#   sh deploy/lab-secrets.sh && docker compose -f deploy/docker-compose.yml up -d --build
set -e
dir="$(dirname "$0")/secrets"
mkdir -p "$dir"
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
if [ ! -s "$dir/master.key" ]; then
  random_hex 32 > "$dir/master.key"
  echo >> "$dir/master.key"
fi
if [ ! -s "$dir/credentials" ]; then
  id="TRIALAB$(random_hex 8 | tr 'a-f' 'A-F')"
  secret="$(random_hex 20)"
  printf '# ACCESS_KEY_ID SECRET_ACCESS_KEY [admin]\n%s %s admin\n' "$id" "$secret" > "$dir/credentials"
  echo "lab admin key: AWS_ACCESS_KEY_ID=$id AWS_SECRET_ACCESS_KEY=$secret"
fi
# Compose (without swarm) bind-mounts secret files as they are: the image's user (10001) must read
# them. A lab on one machine; in production use a Kubernetes Secret (mode 0440, fsGroup).
chmod 0644 "$dir/master.key" "$dir/credentials"
echo "secrets in $dir (the credentials file lists the keys)"
