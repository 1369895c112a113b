#!/bin/sh
# Chooses the process to run from the first argument (or TRIAD_ROLE): router, storage, local;
# also cli (the admin command: status, repair, drain) and node-zone (Kubernetes init container).
# Any further arguments are passed to the process. TRIAD_ZONE_FILE, when set and present, supplies
# TRIAD_ZONE (Kubernetes: an init container writes the node's zone label there).
# Each role is a bundle built with the image (`npm run bundle`, dist/); --enable-source-maps makes
# stack traces in the logs name the TypeScript sources.
set -e
cd /app 2>/dev/null || true
case "${1:-}" in
  router|storage|local|cli|node-zone) role="$1"; shift ;;
  *) role="${TRIAD_ROLE:-local}" ;;
esac
if [ -n "${TRIAD_ZONE_FILE:-}" ] && [ -s "$TRIAD_ZONE_FILE" ]; then
  TRIAD_ZONE="$(cat "$TRIAD_ZONE_FILE")"
  export TRIAD_ZONE
fi
case "$role" in
  router)    exec node --enable-source-maps dist/router.js "$@" ;;
  storage)   exec node --enable-source-maps dist/storage-node.js "$@" ;;
  # The all-in-one cluster's routers listen on every address of the container (to be published);
  # they then enforce auth unless told `--auth-open-insecure` (or `--auth enforce --credentials FILE`).
  local)     exec node --enable-source-maps dist/local-cluster.js --data-dir "${TRIAD_DATA_DIR:-/data}" --router-host 0.0.0.0 "$@" ;;
  cli)       exec node --enable-source-maps dist/cli.js "$@" ;;
  node-zone) exec node /usr/local/lib/triad/node-zone.mjs "$@" ;;
  *) echo "usage: triad-entrypoint router|storage|local|cli|node-zone [flags]  (or set TRIAD_ROLE)" >&2; exit 2 ;;
esac
