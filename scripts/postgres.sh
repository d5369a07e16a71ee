#!/usr/bin/env bash
# Local PostgreSQL server for development, e2e tests and CI (Debian's packages and cluster tools).
#
#   bash scripts/postgres.sh start            make sure PostgreSQL answers on 127.0.0.1:5432; start the installed
#                                             cluster if not; as root with no cluster at all, apt-get install one
#   bash scripts/postgres.sh ensure-db NAME   create database NAME if missing
#   bash scripts/postgres.sh stop             stop PostgreSQL only if `start` started it (.services/postgres.started)
#   bash scripts/postgres.sh status           exit 0 if it answers, 3 if not
#
# Environment: RESERVOIR_PG_PORT (5432). Connects as user postgres over TCP (trust auth on loopback, as on the
# project's machines; a cluster this script installs itself is configured that way).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
SVC_ROOT="$REPO_ROOT/.services"
STARTED_MARK="$SVC_ROOT/postgres.started"

HOST=127.0.0.1
PORT="${RESERVOIR_PG_PORT:-5432}"
START_TIMEOUT=30

SVC_NAME=postgresql
# shellcheck source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

answers() {
  command -v pg_isready >/dev/null 2>&1 || return 1
  pg_isready -q -h "$HOST" -p "$PORT" -t 3
}

psql_admin() {
  psql -X -q -w -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U postgres -d postgres "$@"
}

# "VERSION CLUSTER" of the installed clusters, the one configured for our port first.
clusters() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  pg_lsclusters --no-header 2>/dev/null | awk -v port="$PORT" '
    $3 == port { print $1, $2; next } { rest[NR] = $1 " " $2 }
    END { for (i in rest) print rest[i] }'
}

wait_until_answering() {
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    answers && return 0
    sleep 0.5
  done
  return 1
}

# Trust auth on loopback for a cluster we installed ourselves (a dev/test database, reachable only locally),
# matching the project's machines where `psql -h 127.0.0.1 -U postgres` needs no password.
configure_fresh_cluster() {
  local version="$1" cluster="$2" conf_dir="/etc/postgresql/$1/$2"
  local hba="$conf_dir/pg_hba.conf"
  [[ -f "$hba" ]] || return 0
  if ! grep -q 'reservoir: trust loopback' "$hba"; then
    local tmp; tmp="$(mktemp)"
    {
      echo '# reservoir: trust loopback (local dev/test cluster installed by scripts/postgres.sh)'
      echo 'local   all all              trust'
      echo 'host    all all 127.0.0.1/32 trust'
      echo 'host    all all ::1/128      trust'
      cat "$hba"
    } >"$tmp"
    cat "$tmp" >"$hba"; rm -f "$tmp"
  fi
  # Listen on the configured port (a fresh Debian cluster may have picked another one if 5432 was in use).
  if [[ -f "$conf_dir/postgresql.conf" ]]; then
    sed -i -E "s/^#?port = [0-9]+/port = $PORT/" "$conf_dir/postgresql.conf"
  fi
}

install_postgres() {
  note "no cluster installed; installing Debian's postgresql package"
  apt_install "$REPO_ROOT/.services/postgres-apt.log" postgresql \
    || die "no PostgreSQL cluster is installed and the 'postgresql' package could not be installed (install it, then rerun)"
  local first
  first="$(clusters | head -n1)"
  if [[ -z "$first" ]]; then
    local version
    version="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
    [[ -n "$version" ]] || die "postgresql installed but no server version under /usr/lib/postgresql"
    pg_createcluster "$version" main --port "$PORT" >/dev/null || die "pg_createcluster $version main failed"
    first="$version main"
  fi
  # shellcheck disable=SC2086
  configure_fresh_cluster $first
  # The package may have started it already (with its default pg_hba); restart to apply ours.
  # shellcheck disable=SC2086
  pg_ctlcluster --skip-systemctl-redirect $first stop >/dev/null 2>&1 || true
}

cmd_start() {
  if answers; then
    echo "postgresql: already running on $HOST:$PORT"
    return 0
  fi
  local list
  list="$(clusters)"
  if [[ -z "$list" ]]; then
    install_postgres
    list="$(clusters)"
    [[ -n "$list" ]] || die "no PostgreSQL cluster after installing the package"
  fi
  local version cluster
  read -r version cluster <<<"$(head -n1 <<<"$list")"
  if ! pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start >/dev/null 2>&1; then
    # "already running" is not an error here: it may just be slow to answer.
    pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" status >/dev/null 2>&1 \
      || die "pg_ctlcluster $version $cluster start failed (see /var/log/postgresql/postgresql-$version-$cluster.log)"
  else
    mkdir -p "$SVC_ROOT"
    echo "$version $cluster" >"$STARTED_MARK"
  fi
  wait_until_answering || die "cluster $version/$cluster started but $HOST:$PORT does not answer within ${START_TIMEOUT} s (is it configured for port $PORT and listen_addresses?)"
  if [[ -f "$STARTED_MARK" ]]; then
    echo "postgresql $version: started cluster $version/$cluster on $HOST:$PORT"
  else
    echo "postgresql $version: running on $HOST:$PORT"
  fi
}

cmd_ensure_db() {
  local name="${1:-}"
  [[ "$name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "ensure-db needs a plain lower-case database name, got '${name}'"
  answers || die "not answering on $HOST:$PORT (run: bash scripts/postgres.sh start)"
  local exists
  exists="$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" \
    || die "cannot query $HOST:$PORT as user postgres (is loopback trust auth configured?)"
  if [[ "$exists" == 1 ]]; then
    return 0
  fi
  if ! psql_admin -c "CREATE DATABASE \"$name\"" 2>/dev/null; then
    # Someone else may have created it at the same moment.
    exists="$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$name'")"
    [[ "$exists" == 1 ]] || die "could not create database $name"
  fi
  echo "postgresql: created database $name"
}

cmd_stop() {
  if [[ ! -f "$STARTED_MARK" ]]; then
    if answers; then
      echo "postgresql: left running on $HOST:$PORT (not started by services:up)"
    else
      echo "postgresql: not running (nothing to stop)"
    fi
    return 0
  fi
  local version cluster
  read -r version cluster <"$STARTED_MARK"
  pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" stop >/dev/null 2>&1 || true
  rm -f "$STARTED_MARK"
  echo "postgresql $version: stopped cluster $version/$cluster (started by services:up)"
}

cmd_status() {
  if answers; then
    echo "postgresql: running on $HOST:$PORT"; exit 0
  fi
  echo "postgresql: not answering on $HOST:$PORT"; exit 3
}

case "${1:-}" in
  start) cmd_start ;;
  ensure-db) shift; cmd_ensure_db "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|ensure-db NAME|stop|status" >&2; exit 2 ;;
esac
