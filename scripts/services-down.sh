#!/usr/bin/env bash
# `npm run services:down`: stop what `npm run services:up` started. Idempotent.
# Kafka is always ours (this checkout's broker, by PID); PostgreSQL is stopped only if services:up started it
# (.services/postgres.started), never a server that was already running. Data stays in .services/.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

status=0
bash scripts/libvirt/libvirt.sh stop || status=1
bash scripts/kafka/kafka.sh stop || status=1
bash scripts/postgres.sh stop || status=1
exit "$status"
