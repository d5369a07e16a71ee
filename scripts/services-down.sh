#!/usr/bin/env bash
# `npm run services:down`: stop what `npm run services:up` started. Idempotent.
# Kafka is always ours (this checkout's broker, by PID); PostgreSQL is stopped only if services:up started it
# (.services/postgres.started), never a server that was already running. Data stays in .services/.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

status=0
# NEXT ISSUE: stop libvirt/QEMU here (only if services-up.sh started it), before the services it may use.
bash scripts/kafka/kafka.sh stop || status=1
bash scripts/postgres.sh stop || status=1
exit "$status"
