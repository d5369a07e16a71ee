#!/usr/bin/env bash
# Local libvirt + QEMU for development, e2e tests, the demo and CI, on machines without systemd.
#
#   bash scripts/libvirt/libvirt.sh install   apt-get install what is missing (libvirt, QEMU, the guest build tools);
#                                             `apt-get update` once, only when something must be installed
#   bash scripts/libvirt/libvirt.sh start     /dev/kvm permissions, virtlogd, libvirtd (pinned to CPU 0), wait until
#                                             `virsh -c qemu:///system version` answers; a no-op if it already does
#   bash scripts/libvirt/libvirt.sh stop      stop the daemons `start` started (.services/libvirt.started), nothing else
#   bash scripts/libvirt/libvirt.sh status    exit 0 if qemu:///system answers, 3 if not
#   bash scripts/libvirt/libvirt.sh accel     print the domain type guests should use here: `kvm` or `qemu` (TCG)
#
# Accelerator: /dev/kvm may exist and open while KVM cannot run a guest (a nested hypervisor: guests die with
# "emulation failure"). So `start` (and `status`, `accel`) boot the built catalogue images with plain
# `qemu-system-x86_64 -accel kvm`, simplest first, stopping at the first that does not reach its ready line: KVM only
# if all of them do. The answer is cached in .services/libvirt/accel.json (keyed by host kernel, QEMU version and image
# digests) for the tests and adapters to read; it costs about 5 s once per key.
#
# libvirtd logs warnings and errors to .services/libvirt/libvirtd.log (messages about dnsmasq, D-Bus and dmidecode
# there are harmless). Stopping leaves running guests alone: their QEMU processes go on, the next libvirtd adopts them.
#
# Environment: RESERVOIR_IMAGE_DIR (image catalogue, default .services/images), RESERVOIR_LIBVIRT_START_TIMEOUT
# seconds (60).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
SVC_ROOT="$REPO_ROOT/.services"
SVC_DIR="$SVC_ROOT/libvirt"
STARTED_MARK="$SVC_ROOT/libvirt.started"
LOCKFILE="$SVC_DIR/.lock"
ACCEL_FILE="$SVC_DIR/accel.json"
IMAGE_DIR="${RESERVOIR_IMAGE_DIR:-$SVC_ROOT/images}"

URI="qemu:///system"
START_TIMEOUT="${RESERVOIR_LIBVIRT_START_TIMEOUT:-60}"
VIRTLOGD_PIDFILE=/run/virtlogd.pid
LIBVIRTD_PIDFILE=/run/libvirtd.pid

# What the daemons need, and what scripts/libvirt/build-images.sh needs to build the guests. gcc's own freestanding
# headers and `ld -m elf_i386` are enough for the 32-bit counter guest: no gcc-multilib (it has no libc to link).
RUNTIME_PKGS=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils libvirt-dev libxml2-utils)
BUILD_PKGS=(gcc binutils busybox-static cpio gzip)

now_ms() { echo $(($(date +%s%N) / 1000000)); }
SVC_NAME=libvirt
# shellcheck source=../lib/common.sh
source "$SCRIPT_DIR/../lib/common.sh"

# ---------------------------------------------------------------------------------------------- install

pkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

cmd_install() {
  take_lock
  local missing=() p
  for p in "${RUNTIME_PKGS[@]}" "${BUILD_PKGS[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]} == 0)); then return 0; fi
  local t0=$SECONDS log="$SVC_DIR/apt.log"
  apt_install "$log" "${missing[@]}" || die "could not install ${missing[*]} (as root: apt-get install --no-install-recommends ${missing[*]}; log $log)"
  echo "libvirt: installed ${#missing[@]} packages (${missing[*]}) in $((SECONDS - t0)) s"
}

# -------------------------------------------------------------------------------------------- processes

answers() {
  command -v virsh >/dev/null 2>&1 || return 1
  timeout 10 virsh -q -c "$URI" version >/dev/null 2>&1
}

libvirt_version() {
  timeout 10 virsh -c "$URI" version 2>/dev/null | sed -n 's/^Using library: libvirt \([0-9.]*\).*/\1/p' | head -n1
}

qemu_version() {
  qemu-system-x86_64 --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p' | head -n1
}

# Field 22 of /proc/PID/stat: the start time in clock ticks since boot, so a recycled PID is not mistaken for ours.
start_time() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # The words after "(comm) " start at field 3 (state), so field 22 is the 20th of them.
  awk '{ print $20 }' <<<"${stat##*) }"
}

# PID from a pidfile if that process is alive and its executable is the named daemon.
daemon_pid() {
  local name="$1" pidfile="$2" pid
  [[ -f "$pidfile" ]] || return 0
  pid="$(tr -dc '0-9' <"$pidfile")"
  [[ -n "$pid" ]] || return 0
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$name" ]] && echo "$pid"
  return 0
}

wait_until_answering() {
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    answers && return 0
    [[ -n "$(daemon_pid libvirtd "$LIBVIRTD_PIDFILE")" ]] || return 1
    sleep 0.2
  done
  return 1
}

# libvirt probes QEMU's capabilities again on every start when /dev/kvm's owner or mode differ from what its cache
# recorded (8-12 s): give it the Debian default, group kvm, mode 660.
fix_kvm_perms() {
  [[ -c /dev/kvm ]] || return 0
  getent group kvm >/dev/null 2>&1 || return 0
  chgrp kvm /dev/kvm 2>/dev/null || true
  chmod 660 /dev/kvm 2>/dev/null || true
}

# True if the recorded daemon NAME PID STARTTIME is still that very process.
is_recorded_alive() {
  [[ "$(cat "/proc/$2/comm" 2>/dev/null)" == "$1" && "$(start_time "$2")" == "$3" ]]
}

# Forgets recorded daemons that are gone (killed by hand, or a machine handed back after a restart).
prune_started() {
  [[ -f "$STARTED_MARK" ]] || return 0
  local name pid started kept=""
  while read -r name pid started; do
    if [[ -n "$name" ]] && is_recorded_alive "$name" "$pid" "$started"; then kept+="$name $pid $started"$'\n'; fi
  done <"$STARTED_MARK"
  if [[ -n "$kept" ]]; then printf '%s' "$kept" >"$STARTED_MARK"; else rm -f "$STARTED_MARK"; fi
}

record_started() {
  local name="$1" pid="$2"
  mkdir -p "$SVC_ROOT"
  echo "$name $pid $(start_time "$pid")" >>"$STARTED_MARK"
}

start_virtlogd() {
  [[ -n "$(daemon_pid virtlogd "$VIRTLOGD_PIDFILE")" ]] && return 0
  virtlogd -d -p "$VIRTLOGD_PIDFILE" 9>&- || die "virtlogd -d failed"
  local pid=""
  for _ in $(seq 1 50); do pid="$(daemon_pid virtlogd "$VIRTLOGD_PIDFILE")"; [[ -n "$pid" ]] && break; sleep 0.1; done
  [[ -n "$pid" ]] || die "virtlogd started but wrote no pid file $VIRTLOGD_PIDFILE"
  record_started virtlogd "$pid"
}

start_libvirtd() {
  local log="$SVC_DIR/libvirtd.log"
  # Pinned to CPU 0: libvirt compares the host CPUID it cached with the one it sees now, and a daemon that wanders
  # between the cores of a nested hypervisor sees a different one and re-probes QEMU. QEMU itself is not pinned:
  # libvirt gives each domain all host CPUs.
  LIBVIRT_LOG_OUTPUTS="3:file:$log" taskset -c 0 libvirtd -d -p "$LIBVIRTD_PIDFILE" 9>&- || die "libvirtd -d failed"
  local pid=""
  for _ in $(seq 1 50); do pid="$(daemon_pid libvirtd "$LIBVIRTD_PIDFILE")"; [[ -n "$pid" ]] && break; sleep 0.1; done
  [[ -n "$pid" ]] || die "libvirtd started but is not running (log $log)"
  record_started libvirtd "$pid"
}

cmd_start() {
  take_lock
  command -v libvirtd >/dev/null 2>&1 || die "libvirtd is not installed (run: bash scripts/libvirt/libvirt.sh install, as root)"
  [[ "$(id -u)" -eq 0 ]] || answers || die "libvirtd is not running and only root can start the system daemon"
  if answers; then
    echo "libvirt $(libvirt_version): already running ($URI, QEMU $(qemu_version), $(accel_summary))"
    return 0
  fi
  local t0 how="running (a libvirtd this script did not start)"
  t0=$(now_ms)
  prune_started
  fix_kvm_perms
  mkdir -p "$SVC_DIR"
  start_virtlogd
  if [[ -z "$(daemon_pid libvirtd "$LIBVIRTD_PIDFILE")" ]]; then
    start_libvirtd
    how=started
  fi
  wait_until_answering || { tail -n 20 "$SVC_DIR/libvirtd.log" >&2 2>/dev/null; die "libvirtd does not answer on $URI within ${START_TIMEOUT} s (log $SVC_DIR/libvirtd.log)"; }
  local ms=$(($(now_ms) - t0))
  printf 'libvirt %s: %s (%s, QEMU %s, %s) in %d.%02d s\n' "$(libvirt_version)" "$how" "$URI" "$(qemu_version)" \
    "$(accel_summary)" $((ms / 1000)) $((ms % 1000 / 10))
}

# Stops one recorded daemon if it still is the process we started.
stop_recorded() {
  local name="$1" pid="$2" started="$3"
  is_recorded_alive "$name" "$pid" "$started" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    note "$name (pid $pid) did not exit within 30 s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  echo "$name"
}

cmd_stop() {
  take_lock
  if [[ ! -f "$STARTED_MARK" ]]; then
    if answers; then echo "libvirt: left running ($URI; not started by services:up)"; else echo "libvirt: not running (nothing to stop)"; fi
    return 0
  fi
  local version running
  version="$(libvirt_version)"
  running="$(timeout 10 virsh -q -c "$URI" list --name 2>/dev/null | grep -c . || true)"
  # libvirtd before virtlogd (the reverse of the start order). Running guests are not touched: their QEMU processes
  # go on, and a libvirtd started later reconnects to them.
  local stopped=() name pid started
  while read -r name pid started; do
    [[ -n "$name" ]] || continue
    name="$(stop_recorded "$name" "$pid" "$started")"
    [[ -z "$name" ]] || stopped+=("$name")
  done < <(tac "$STARTED_MARK")
  rm -f "$STARTED_MARK"
  if ((${#stopped[@]} == 0)); then
    echo "libvirt: the daemons services:up started are gone already (nothing to stop)"
  else
    echo "libvirt ${version:-?}: stopped ${stopped[*]} (started by services:up)"
  fi
  if [[ "${running:-0}" -gt 0 ]]; then
    note "$running domain(s) were still running; their QEMU processes keep running until destroyed"
  fi
}

cmd_status() {
  if answers; then
    echo "libvirt $(libvirt_version): running ($URI, QEMU $(qemu_version), $(accel_summary))"; exit 0
  fi
  echo "libvirt: not answering on $URI"; exit 3
}

# -------------------------------------------------------------------------------------------- accelerator

# Boots one catalogue image under `-accel kvm`; true if its ready line reaches the serial port within 8 s. Stops at
# once on a KVM internal error (the nested hypervisor's "emulation failure": QEMU then sits paused, it does not exit).
kvm_boots() {
  local kernel="$1" initrd="$2" mem="$3" ready="$4" out pid result=1
  local args=(-accel kvm -nodefaults -no-user-config -display none -serial stdio -m "$mem" -kernel "$kernel")
  [[ -z "$initrd" ]] || args+=(-initrd "$initrd" -append "console=ttyS0 quiet")
  out="$(mktemp)"
  qemu-system-x86_64 "${args[@]}" </dev/null >"$out" 2>&1 9>&- &
  pid=$!
  for _ in $(seq 1 80); do
    if grep -q "$ready" "$out"; then result=0; break; fi
    grep -q 'KVM internal error\|emulation failure' "$out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$out"
  return "$result"
}

# Prints "kvm" or "qemu"; probes once per (kernel, QEMU, image digests) and caches the answer in $ACCEL_FILE.
probe_accel() {
  if [[ ! -c /dev/kvm ]] || ! (exec 3<>/dev/kvm) 2>/dev/null; then
    write_accel qemu "no usable /dev/kvm" ""; return
  fi
  local cat="$IMAGE_DIR/catalogue.json"
  [[ -f "$cat" ]] || { echo qemu; return; }   # not cached: no images to probe with yet
  local key
  # Host kernel, QEMU and the images' digests (not the whole catalogue, which carries its build time).
  key="$(uname -r) $(qemu_version) $(grep -E '^      "sha256"' "$cat" | sha256sum | cut -c1-16)"
  if [[ -f "$ACCEL_FILE" ]] && grep -qF "\"key\": \"$key\"" "$ACCEL_FILE"; then
    sed -n 's/.*"domainType": "\([a-z]*\)".*/\1/p' "$ACCEL_FILE"; return
  fi
  # KVM start-up alone takes about 5 s on a nested hypervisor; the simplest guest goes first, and a failure ends it.
  local ok=() failed=()
  if kvm_boots "$IMAGE_DIR/counter/kernel.elf" "" 64 'counter=1'; then ok+=(counter); else failed+=(counter); fi
  if ((${#failed[@]} == 0)); then
    if kvm_boots "$IMAGE_DIR/tiny-linux/vmlinuz" "$IMAGE_DIR/tiny-linux/initrd.cpio.gz" 128 'tiny-linux: ready'; then
      ok+=(tiny-linux); else failed+=(tiny-linux); fi
  fi
  if ((${#failed[@]} == 0)); then
    write_accel kvm "every catalogue image boots under KVM" "$key" "${ok[*]}" ""
  else
    write_accel qemu "/dev/kvm opens, but ${failed[*]} does not boot under KVM (nested hypervisor?)" "$key" "${ok[*]:-}" "${failed[*]}"
  fi
}

# write_accel TYPE REASON KEY [BOOTS [FAILS]]: BOOTS and FAILS are space-separated image refs.
write_accel() {
  local type="$1" why="$2" key="$3" boots="${4:-}" fails="${5:-}"
  mkdir -p "$SVC_DIR"
  local list_ok list_failed
  # shellcheck disable=SC2086 # word splitting of the space-separated refs is intended
  list_ok="$(json_list $boots)"
  # shellcheck disable=SC2086
  list_failed="$(json_list $fails)"
  cat >"$ACCEL_FILE.tmp" <<EOF
{
  "domainType": "$type",
  "reason": "$why",
  "kvmBoots": $list_ok,
  "kvmFails": $list_failed,
  "key": "$key"
}
EOF
  mv "$ACCEL_FILE.tmp" "$ACCEL_FILE"
  echo "$type"
}

json_list() {
  local out="" x
  for x in "$@"; do out+="${out:+, }\"$x\""; done
  echo "[$out]"
}

accel_summary() {
  local type
  type="$(probe_accel)"
  if [[ "$type" == kvm ]]; then
    echo KVM
  elif [[ ! -c /dev/kvm ]]; then
    echo "TCG, no /dev/kvm"
  elif [[ ! -f "$IMAGE_DIR/catalogue.json" ]]; then
    echo "TCG, KVM not tried yet: no images built"
  else
    echo "TCG, KVM does not boot $(sed -n 's/.*"kvmFails": \[\(.*\)\].*/\1/p' "$ACCEL_FILE" | tr -d '"')"
  fi
}

cmd_accel() {
  probe_accel
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  accel) cmd_accel ;;
  *) echo "usage: $0 install|start|stop|status|accel" >&2; exit 2 ;;
esac
