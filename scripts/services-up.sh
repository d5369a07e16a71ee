#!/usr/bin/env bash
# `npm run services:up`: install what is missing and start the real services the project's e2e tests, the
# demo and the site broker use. Idempotent: a second run only reports what is already running.
#
#   PostgreSQL  127.0.0.1:5432, databases `reservoir` (dev/demo) and `reservoir_test` (tests)   scripts/postgres.sh
#   Kafka       127.0.0.1:9092 (KRaft, one node, jars from Maven Central)                        scripts/kafka/kafka.sh
#
# Works from any directory. Exits non-zero, saying why, if a service cannot be started.
# `npm run services:down` stops what this started (PostgreSQL only if this started it).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
T0=$SECONDS

SVC_NAME=services:up
# shellcheck source=lib/common.sh
source scripts/lib/common.sh
fail() { die "$@"; }

java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1
}

ensure_java() {
  local v=""
  command -v java >/dev/null 2>&1 && v="$(java_major)"
  if [[ -z "$v" || "$v" -lt 17 ]]; then
    apt_install .services/apt.log openjdk-17-jre-headless \
      || fail "Kafka needs Java 17+ (found: ${v:-none}); install openjdk-17-jre-headless (as root: apt-get install -y openjdk-17-jre-headless)"
    v="$(java_major)"
    [[ -n "$v" && "$v" -ge 17 ]] || fail "Java 17+ still not the default java after installing openjdk-17-jre-headless (update-alternatives --config java)"
    echo "java $v: installed"
  fi
}

ensure_maven() {
  command -v mvn >/dev/null 2>&1 && return 0
  apt_install .services/apt.log maven || fail "Maven is needed once to fetch the Kafka jars and is not installed (as root: apt-get install -y maven)"
  echo "maven: installed"
}

# --- PostgreSQL ------------------------------------------------------------------------------------------
bash scripts/postgres.sh start || fail "PostgreSQL could not be started on 127.0.0.1:5432"
bash scripts/postgres.sh ensure-db reservoir || fail "could not create database reservoir"
bash scripts/postgres.sh ensure-db reservoir_test || fail "could not create database reservoir_test"

# --- Kafka ----------------------------------------------------------------------------------------------
ensure_java
if bash scripts/kafka/kafka.sh fetch-needed; then
  ensure_maven
  bash scripts/kafka/kafka.sh fetch || fail "could not fetch the Kafka jars from Maven Central"
fi
bash scripts/kafka/kafka.sh start || fail "Kafka could not be started on 127.0.0.1:${RESERVOIR_KAFKA_PORT:-9092}"

# --- libvirt / QEMU -------------------------------------------------------------------------------------
# Packages as root if missing, then the guests into the image catalogue (${RESERVOIR_IMAGE_DIR:-.services/images}),
# then libvirtd: built first so that `start` can try KVM with them and report the accelerator the guests will get.
bash scripts/libvirt/libvirt.sh install || fail "libvirt and QEMU are missing (as root: bash scripts/libvirt/libvirt.sh install)"
# On a new machine `npm ci` ran before libvirt-dev was here, so its install hook skipped the libvirt addon: build it now.
if [[ -d node_modules && ! -f libs/adapters/libvirt/native/build/Release/reservoir_libvirt.node ]]; then
  node scripts/build-native.js || fail "the libvirt adapter could not be built"
fi
bash scripts/libvirt/build-images.sh || fail "could not build the guest images (counter, tiny-linux)"
bash scripts/libvirt/libvirt.sh start || fail "libvirtd could not be started (qemu:///system)"

echo "services:up: done in $((SECONDS - T0)) s"
