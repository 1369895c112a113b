#!/bin/sh
# Chooses the process to run from the first argument (or TRIAD_ROLE): router, storage, local.
set -e
role="${1:-${TRIAD_ROLE:-local}}"
[ $# -gt 0 ] && shift
case "$role" in
  router)  exec node --import tsx packages/router/src/main.ts "$@" ;;
  storage) exec node --import tsx packages/storage-node/src/main.ts "$@" ;;
  local)   exec node --import tsx scripts/start-local-cluster.ts --data-dir "${TRIAD_DATA_DIR:-/data}" "$@" ;;
  *) echo "usage: triad-entrypoint router|storage|local [flags]" >&2; exit 2 ;;
esac
