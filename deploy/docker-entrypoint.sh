#!/bin/sh
# Starts the service named by APP. exec: node becomes the container's main process and receives
# SIGTERM itself, so the graceful shutdown of the apps runs on `docker stop` and pod termination.
set -eu

case "${APP:-}" in
  rendezvous | voucher-service | owner-onboarding | worker)
    exec node --import @swc-node/register/esm-register "apps/${APP}/src/main.ts" "$@"
    ;;
  migrate)
    # One-shot: applies pending database migrations, then exits (0 when the schema is current).
    # Not --silent: npm then hides its own errors too (such as a missing script).
    exec npm run migrate -- "$@"
    ;;
  bootstrap)
    # One-shot: migrations, then the first operator key and trusted keys from BOOTSTRAP_* (idempotent).
    exec npm run bootstrap -- "$@"
    ;;
  *)
    echo "APP must be one of: rendezvous, voucher-service, owner-onboarding, worker, migrate, bootstrap (got '${APP:-}')" >&2
    exit 64
    ;;
esac
