#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft) for development, e2e tests and CI: no Docker, no tarball.
# The broker's jars come from Maven Central (scripts/kafka/pom.xml) and run as `java -cp 'libs/*' kafka.Kafka`.
#
#   bash scripts/kafka/kafka.sh fetch         jars into .services/kafka/libs unless already there for this pom
#   bash scripts/kafka/kafka.sh fetch-needed  exit 0 if `fetch` would download (used by services-up.sh)
#   bash scripts/kafka/kafka.sh start         render config, format storage once, start, wait until it answers
#   bash scripts/kafka/kafka.sh stop          stop the broker this checkout started (by PID), wait for exit
#   bash scripts/kafka/kafka.sh status        say whether it runs and answers (exit 0 if so, 3 if not)
#   bash scripts/kafka/kafka.sh reset         stop, then delete the data directory (topics, offsets, cluster id)
#   bash scripts/kafka/kafka.sh version       print the Kafka version of the fetched jars (or of the pom)
#
# Environment: RESERVOIR_KAFKA_PORT (9092), RESERVOIR_KAFKA_CONTROLLER_PORT (9093),
# RESERVOIR_KAFKA_HEAP (-Xms128m -Xmx512m), RESERVOIR_KAFKA_START_TIMEOUT seconds (60),
# RESERVOIR_KAFKA_LOG_LEVEL for the broker's own log file (info).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
POM="$SCRIPT_DIR/pom.xml"
TEMPLATE="$SCRIPT_DIR/server.properties.template"

SVC_DIR="$REPO_ROOT/.services/kafka"
LIBS="$SVC_DIR/libs"
STAMP="$SVC_DIR/libs.pom.sha256"
DATA_DIR="$SVC_DIR/data"
PROPS="$SVC_DIR/server.properties"
LOG="$SVC_DIR/kafka.log"
PIDFILE="$SVC_DIR/kafka.pid"
LOCKFILE="$SVC_DIR/.lock"

HOST=127.0.0.1
PORT="${RESERVOIR_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${RESERVOIR_KAFKA_CONTROLLER_PORT:-9093}"
HEAP="${RESERVOIR_KAFKA_HEAP:--Xms128m -Xmx512m}"
START_TIMEOUT="${RESERVOIR_KAFKA_START_TIMEOUT:-60}"
BROKER_LOG_LEVEL="${RESERVOIR_KAFKA_LOG_LEVEL:-info}"
MAVEN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.11.0"

SVC_NAME=kafka
# shellcheck source=../lib/common.sh
source "$SCRIPT_DIR/../lib/common.sh"

# ---------------------------------------------------------------------------------------------- helpers

pom_sha() { sha256sum "$POM" | cut -d' ' -f1; }

pom_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1
}

# Version of the jars actually fetched (kafka_2.13-X.jar), else the pom's.
kafka_version() {
  local jar
  jar="$(ls "$LIBS"/kafka_2.13-*.jar 2>/dev/null | head -n1 || true)"
  if [[ -n "$jar" ]]; then
    jar="${jar##*/kafka_2.13-}"
    echo "${jar%.jar}"
  else
    pom_version
  fi
}

libs_current() {
  [[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$(pom_sha)" ]] && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null
}

# PID of the broker this checkout started: the pidfile if that process still is our broker, otherwise a
# process whose command line names our own server.properties (pidfile lost). Prints nothing if none.
broker_pid() {
  local pid cmd
  if [[ -f "$PIDFILE" ]]; then
    pid="$(tr -dc '0-9' <"$PIDFILE")"
    if [[ -n "$pid" && -r "/proc/$pid/cmdline" ]]; then
      cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
      if [[ "$cmd" == *kafka.Kafka*"$PROPS"* ]]; then echo "$pid"; return 0; fi
    fi
  fi
  for f in /proc/[0-9]*/cmdline; do
    cmd="$(tr '\0' ' ' <"$f" 2>/dev/null || true)"
    if [[ "$cmd" == *" kafka.Kafka $PROPS"* ]]; then
      pid="${f#/proc/}"; echo "${pid%/cmdline}"; return 0
    fi
  done
  return 0
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# Kafka ApiVersions v0 request (correlation id 1, client id "rsvr") over bash's /dev/tcp: true if the
# answer carries our correlation id, i.e. a Kafka broker (not just any process) listens on the port.
api_versions_ok() {
  local reply
  reply="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x0e\x00\x12\x00\x00\x00\x00\x00\x01\x00\x04rsvr" >&3
    head -c 8 <&3 | od -An -tx1' "$HOST" "$1" 2>/dev/null | tr -d ' \n')" || return 1
  [[ "${reply:8:8}" == "00000001" ]]
}

# The broker answers: ApiVersions over /dev/tcp, then, if node_modules has kafkajs, a client round trip
# (admin connect + listTopics: Metadata through the advertised listener), the same check the e2e tests make.
broker_answers() {
  port_open "$PORT" && api_versions_ok "$PORT" || return 1
  if command -v node >/dev/null 2>&1 && [[ -d "$REPO_ROOT/node_modules/kafkajs" ]]; then
    (cd "$REPO_ROOT" && KAFKAJS_NO_PARTITIONER_WARNING=1 timeout 15 node -e '
      const { Kafka, logLevel } = require("kafkajs");
      const admin = new Kafka({ clientId: "reservoir-kafka-sh", brokers: [process.argv[1]], logLevel: logLevel.NOTHING,
        connectionTimeout: 2000, requestTimeout: 5000, retry: { retries: 0 } }).admin();
      admin.connect().then(() => admin.listTopics()).then(
        () => admin.disconnect().then(() => process.exit(0)),
        () => process.exit(1));
    ' "$HOST:$PORT") >/dev/null 2>&1
  fi
}

require_java() {
  command -v java >/dev/null 2>&1 || die "java not found (Kafka needs Java 17+; run npm run services:up as root to install it)"
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  [[ -n "$v" && "$v" -ge 17 ]] || die "Kafka $(kafka_version) needs Java 17+, found: $(java -version 2>&1 | head -n1)"
}

log_tail() {
  if [[ -f "$LOG" ]]; then
    echo "----- last 40 lines of $LOG -----" >&2
    tail -n 40 "$LOG" >&2
    echo "---------------------------------" >&2
  fi
}

# --------------------------------------------------------------------------------------------- commands

cmd_fetch() {
  take_lock
  if libs_current; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found: needed once to fetch the Kafka jars (npm run services:up installs it as root)"
  local version tmp t0 n
  version="$(pom_version)"
  tmp="$SVC_DIR/libs.tmp.$$"
  rm -rf "$tmp"
  t0=$SECONDS
  if ! mvn -B -q -Dstyle.color=never -f "$POM" "$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$SVC_DIR/mvn.log" 2>&1; then
    tail -n 30 "$SVC_DIR/mvn.log" >&2
    rm -rf "$tmp"
    die "Maven could not fetch the Kafka $version jars (full output: $SVC_DIR/mvn.log)"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || { rm -rf "$tmp"; die "Maven finished but no kafka_2.13 jar arrived in $tmp"; }
  n="$(ls "$tmp" | wc -l)"
  if [[ -d "$LIBS" ]]; then
    local pid; pid="$(broker_pid)"
    [[ -z "$pid" ]] || note "note: the running broker (pid $pid) still uses the old jars until restarted (npm run services:down && npm run services:up)"
    rm -rf "$LIBS.old"; mv "$LIBS" "$LIBS.old"
  fi
  mv "$tmp" "$LIBS"
  rm -rf "$LIBS.old"
  pom_sha >"$STAMP"
  echo "kafka $version: fetched $n jars from Maven Central into .services/kafka/libs ($((SECONDS - t0)) s)"
}

cmd_fetch_needed() {
  if libs_current; then exit 1; else exit 0; fi
}

render_config() {
  mkdir -p "$DATA_DIR"
  # log4j-core only serves Kafka's logger admin API here (all logging goes through slf4j-simple): give it an
  # explicit quiet configuration so it does not warn at start-up that it has none.
  printf '%s\n' '# Written by scripts/kafka/kafka.sh. Broker logging goes through slf4j-simple; see jvm_log_opts there.' \
    'status = warn' 'name = reservoir-kafka' 'rootLogger.level = warn' >"$SVC_DIR/log4j2.properties"
  local tmp="$PROPS.tmp.$$"
  sed -e "s|@KAFKA_PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$DATA_DIR|g" \
    "$TEMPLATE" >"$tmp"
  mv "$tmp" "$PROPS"
}

# Logging: Kafka logs through SLF4J 1.7 (scala-logging), bound here to slf4j-simple, which writes to stderr,
# i.e. into kafka.log. log4j-core 2.x is on the classpath only for Kafka's dynamic logger admin API; it gets
# an explicit WARN root so it prints no status noise. Chatty INFO loggers are turned down.
jvm_log_opts() {
  local o=(
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=$BROKER_LOG_LEVEL"
    "-Dorg.slf4j.simpleLogger.showDateTime=true"
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS"
    "-Dorg.slf4j.simpleLogger.showThreadName=false"
    "-Dorg.slf4j.simpleLogger.levelInBrackets=true"
    # Config dumps of every internal client and of the broker (hundreds of lines each).
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.config.AbstractConfig=warn"
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients.consumer.ConsumerConfig=warn"
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients.producer.ProducerConfig=warn"
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients.admin.AdminClientConfig=warn"
    "-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaConfig=warn"
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.utils.AppInfoParser=warn"
    # Per-partition and per-segment chatter on every topic create/delete.
    "-Dorg.slf4j.simpleLogger.log.kafka.log=warn"
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.storage=warn"
    "-Dorg.slf4j.simpleLogger.log.kafka.cluster.Partition=warn"
    "-Dorg.slf4j.simpleLogger.log.state.change.logger=warn"
    "-Dorg.slf4j.simpleLogger.log.kafka.server.ReplicaFetcherManager=warn"
    "-Dorg.slf4j.simpleLogger.log.kafka.server.ReplicaAlterLogDirsManager=warn"
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.controller=warn"
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.image=warn"
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.metadata=warn"
    "-Dorg.slf4j.simpleLogger.log.kafka.server.metadata=warn"
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.raft=warn"
    "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.coordinator=warn"
    "-Dorg.slf4j.simpleLogger.log.kafka.coordinator=warn"
    "-Dlog4j2.configurationFile=$SVC_DIR/log4j2.properties"
  )
  printf '%s\n' "${o[@]}"
}

run_java() {
  # Prints nothing to the terminal unless it fails.
  local out
  if ! out="$(java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$LIBS/*" "$@" 2>&1)"; then
    echo "$out" >&2
    return 1
  fi
  printf '%s' "$out"
}

format_storage_once() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then return 0; fi
  local cluster_id
  cluster_id="$(run_java kafka.tools.StorageTool random-uuid | tail -n1 | tr -d '[:space:]')" \
    || die "kafka.tools.StorageTool random-uuid failed"
  [[ -n "$cluster_id" ]] || die "kafka.tools.StorageTool random-uuid printed nothing"
  run_java kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" --ignore-formatted >>"$SVC_DIR/format.log" \
    || die "formatting $DATA_DIR failed (see above)"
  [[ -f "$DATA_DIR/meta.properties" ]] || die "formatting $DATA_DIR left no meta.properties (see $SVC_DIR/format.log)"
}

wait_until_answering() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail
      rm -f "$PIDFILE"
      die "the broker (pid $pid) exited during start-up (log: $LOG). If its data directory was formatted by another Kafka version, run: bash scripts/kafka/kafka.sh reset"
    fi
    if port_open "$PORT" && broker_answers; then return 0; fi
    sleep 0.5
  done
  log_tail
  die "the broker (pid $pid) did not answer on $HOST:$PORT within ${START_TIMEOUT} s (log: $LOG); it is still running: bash scripts/kafka/kafka.sh stop"
}

cmd_start() {
  take_lock
  local version pid
  version="$(kafka_version)"
  pid="$(broker_pid)"
  if [[ -n "$pid" ]]; then
    echo "$pid" >"$PIDFILE"
    if broker_answers; then
      echo "kafka $version: already running on $HOST:$PORT (pid $pid)"
      return 0
    fi
    note "broker pid $pid is running but not answering yet; waiting"
    wait_until_answering "$pid"
    echo "kafka $version: already running on $HOST:$PORT (pid $pid)"
    return 0
  fi
  rm -f "$PIDFILE"
  if port_open "$PORT"; then
    if broker_answers; then
      echo "kafka: a broker not started by this checkout already answers on $HOST:$PORT; using it (services:down will not stop it)"
      return 0
    fi
    die "port $HOST:$PORT is taken by a process that is not a Kafka broker (set RESERVOIR_KAFKA_PORT to use another port)"
  fi
  port_open "$CONTROLLER_PORT" && die "controller port $HOST:$CONTROLLER_PORT is taken (set RESERVOIR_KAFKA_CONTROLLER_PORT)"

  libs_current || die "Kafka jars missing or out of date for scripts/kafka/pom.xml: run bash scripts/kafka/kafka.sh fetch (or npm run services:up)"
  require_java
  render_config
  format_storage_once

  # Keep one previous log; start a fresh one.
  [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.1"
  local -a opts
  mapfile -t opts < <(jvm_log_opts)
  local t0=$SECONDS
  # setsid: own session, so Ctrl-C in the terminal or the end of `npm run` does not reach the broker.
  # The inner shell writes its own PID and execs java, so the PID file holds the JVM's PID.
  # shellcheck disable=SC2086
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    "${opts[@]}" -cp "$LIBS/*" kafka.Kafka "$PROPS" \
    </dev/null >>"$LOG" 2>&1 9>&- &

  for _ in $(seq 1 50); do [[ -s "$PIDFILE" ]] && break; sleep 0.1; done
  pid="$(tr -dc '0-9' <"$PIDFILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] || { log_tail; die "could not start the broker (no PID written)"; }
  wait_until_answering "$pid"
  echo "kafka $version: started on $HOST:$PORT (pid $pid) in $((SECONDS - t0)) s, log .services/kafka/kafka.log"
}

cmd_stop() {
  take_lock
  local pid version
  version="$(kafka_version)"
  pid="$(broker_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PIDFILE"
    echo "kafka $version: not running (nothing to stop)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    note "pid $pid did not exit within 30 s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PIDFILE"
  echo "kafka $version: stopped (pid $pid)"
}

cmd_status() {
  local pid version
  version="$(kafka_version)"
  pid="$(broker_pid)"
  if [[ -n "$pid" ]]; then
    if broker_answers; then
      echo "kafka $version: running on $HOST:$PORT (pid $pid), answering"; exit 0
    fi
    echo "kafka $version: running (pid $pid) but not answering on $HOST:$PORT"; exit 3
  fi
  if broker_answers; then
    echo "kafka: a broker not started by this checkout answers on $HOST:$PORT"; exit 0
  fi
  echo "kafka $version: not running"; exit 3
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA_DIR" "$PROPS"
  echo "kafka: data directory removed (next start formats a new cluster)"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  fetch-needed) cmd_fetch_needed ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  version) kafka_version ;;
  *) echo "usage: $0 fetch|fetch-needed|start|stop|status|reset|version" >&2; exit 2 ;;
esac
