# Helpers shared by the service scripts (services-up.sh, postgres.sh, kafka/kafka.sh, libvirt/*.sh).
# Source it after setting SVC_NAME (the prefix of every message); take_lock also needs LOCKFILE.

die() { echo "$SVC_NAME: ERROR: $*" >&2; exit 1; }
note() { echo "$SVC_NAME: $*" >&2; }

# Serialises a script's commands between concurrent callers (several people may share one work tree).
# The lock lives on fd 9: start daemons with 9>&- so they never inherit it.
take_lock() {
  mkdir -p "$(dirname "$LOCKFILE")"
  exec 9>"$LOCKFILE"
  flock -w 180 9 || die "another $SVC_NAME script is still busy after 180 s (lock $LOCKFILE)"
}

# apt_install LOG PKG...: installs Debian packages as root (apt-get update once per process first). Returns
# non-zero, with the tail of LOG on stderr, when not root, without apt-get, or when apt fails.
APT_UPDATED=0
apt_install() {
  local log="$1"; shift
  [[ "$(id -u)" -eq 0 ]] || { echo "$SVC_NAME: not root: cannot apt-get install $*" >&2; return 1; }
  command -v apt-get >/dev/null 2>&1 || { echo "$SVC_NAME: apt-get is not available to install $*" >&2; return 1; }
  export DEBIAN_FRONTEND=noninteractive
  mkdir -p "$(dirname "$log")"
  note "installing $* (apt-get)"
  if [[ $APT_UPDATED -eq 0 ]]; then
    apt-get update -qq >"$log" 2>&1 || { tail -n 20 "$log" >&2; return 1; }
    APT_UPDATED=1
  fi
  # Without systemd the packages' maintainer scripts start nothing (invoke-rc.d finds no runlevel).
  apt-get install -y -qq --no-install-recommends "$@" >>"$log" 2>&1 || { tail -n 30 "$log" >&2; return 1; }
}
