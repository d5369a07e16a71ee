#!/usr/bin/env bash
# Builds the tiny-linux guest from Debian packages, nothing else downloaded:
#
#   bash guests/tiny-linux/build.sh OUT_DIR   ->  OUT_DIR/vmlinuz, OUT_DIR/initrd.cpio.gz, OUT_DIR/kernel-package
#   bash guests/tiny-linux/build.sh --inputs  print what the build would use (kernel package=version, busybox-static
#                                             version), from the local apt lists only: build-images.sh's stamp
#
# Kernel: the Debian cloud kernel, i.e. the versioned linux-image-<version>-cloud-amd64 package that the
# linux-image-cloud-amd64 metapackage depends on, fetched with `apt-get download` into a cache and unpacked with
# dpkg-deb (only boot/vmlinuz-* and two modules are taken out of it).
# Initramfs: the host's /bin/busybox from busybox-static, this folder's `init`, and the ACPI button + evdev modules so
# that `virsh shutdown` powers the guest off. Reproducible: fixed mtimes, sorted, `cpio --reproducible`, `gzip -n`.
# Boot: `-kernel vmlinuz -initrd initrd.cpio.gz -append 'console=ttyS0 quiet'`, at least 80 MiB (2.5 s under TCG).
#
# Environment: RESERVOIR_DEB_CACHE (downloaded .debs, default .services/cache/debs).
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SRC/../.." && pwd)"
DEB_CACHE="${RESERVOIR_DEB_CACHE:-$REPO_ROOT/.services/cache/debs}"
META=linux-image-cloud-amd64
MODULES=(kernel/drivers/input/evdev.ko kernel/drivers/acpi/button.ko)

die() { echo "tiny-linux: ERROR: $*" >&2; exit 1; }

# "linux-image-6.1.0-56-cloud-amd64=6.1.192-2": the package the metapackage's candidate depends on, with the exact
# version it pins. One apt-cache call costs over a second here (no pkgcache.bin), so the answer is cached for as long
# as the apt lists are unchanged (until the next `apt-get update`).
kernel_package() {
  local lists spec="" cached_lists="" cache="$DEB_CACHE/$META.resolved"
  lists="$(stat -c '%n %s %Y' /var/lib/apt/lists/*_Packages* 2>/dev/null | sha256sum | cut -c1-32)"
  if [[ -f "$cache" ]]; then
    read -r cached_lists spec <"$cache" || true
    [[ "$cached_lists" == "$lists" && -n "$spec" ]] && { echo "$spec"; return 0; }
  fi
  spec="$(apt-cache show --no-all-versions "$META" 2>/dev/null \
    | sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*-cloud-amd64\) (= \([^)]*\)).*/\1=\2/p' | head -n1)"
  [[ -n "$spec" ]] || return 1
  mkdir -p "$DEB_CACHE" && echo "$lists $spec" >"$cache"
  echo "$spec"
}

# Resolves the kernel package, running `apt-get update` once (as root) when the local lists do not know it.
resolve_kernel() {
  kernel_package && return 0
  [[ "$(id -u)" -eq 0 ]] || die "apt does not know $META (run apt-get update as root)"
  apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed"
  kernel_package || die "apt knows no versioned package behind $META"
}

busybox_version() {
  dpkg-query -W -f='${db:Status-Status} ${Version}' busybox-static 2>/dev/null | sed -n 's/^installed //p'
}

# The .deb for PKG=VERSION in the cache, downloaded once. An outdated apt list (a 404) gets one `apt-get update`.
fetch_deb() {
  local spec="$1" pkg="${1%%=*}" version="${1#*=}" deb
  deb="$DEB_CACHE/${pkg}_${version/*:/}_amd64.deb"
  if [[ ! -s "$deb" ]]; then
    mkdir -p "$DEB_CACHE"
    local tmp; tmp="$(mktemp -d "$DEB_CACHE/.dl.XXXXXX")"
    # APT::Sandbox::User=root: the download runs as root into our own folder (no _apt sandbox warning).
    if ! (cd "$tmp" && apt-get -qq -o APT::Sandbox::User=root download "$spec" >/dev/null 2>&1); then
      if [[ "$(id -u)" -eq 0 ]]; then apt-get update -qq >/dev/null 2>&1 || true; fi
      (cd "$tmp" && apt-get -qq -o APT::Sandbox::User=root download "$spec" >/dev/null) || { rm -rf "$tmp"; die "apt-get download $spec failed"; }
    fi
    mv "$tmp"/*.deb "$deb"
    rm -rf "$tmp"
    # Older versions of the same package are of no more use.
    find "$DEB_CACHE" -maxdepth 1 -name "${pkg}_*.deb" ! -name "${deb##*/}" -delete
  fi
  echo "$deb"
}

if [[ "${1:-}" == --inputs ]]; then
  echo "kernel $(kernel_package || echo unresolved)"
  echo "busybox-static $(busybox_version)"
  exit 0
fi

OUT="${1:?usage: $0 OUT_DIR | --inputs}"
command -v cpio >/dev/null 2>&1 || die "cpio is not installed (bash scripts/libvirt/libvirt.sh install)"
[[ -n "$(busybox_version)" ]] || die "busybox-static is not installed (bash scripts/libvirt/libvirt.sh install)"
file_type="$(head -c 4 /bin/busybox | od -An -c | tr -d ' ')"
[[ "$file_type" == '177ELF' ]] || die "/bin/busybox is not an ELF binary"

spec="$(resolve_kernel)"
deb="$(fetch_deb "$spec")"
kversion="${spec%%=*}"; kversion="${kversion#linux-image-}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./boot/vmlinuz-$kversion" "${MODULES[@]/#/./lib/modules/$kversion/}" \
  || die "vmlinuz-$kversion or a module is missing from $deb"

root="$tmp/root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,lib/modules}
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 0755 "$SRC/init" "$root/init"
for m in "${MODULES[@]}"; do cp "$tmp/lib/modules/$kversion/$m" "$root/lib/modules/"; done
# The kernel opens /dev/console for init before anything is mounted; only root can make the node (init copes without).
[[ "$(id -u)" -ne 0 ]] || mknod -m 600 "$root/dev/console" c 5 1
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -n -9 >"$tmp/initrd.cpio.gz"

mkdir -p "$OUT"
mv "$tmp/boot/vmlinuz-$kversion" "$OUT/vmlinuz"
mv "$tmp/initrd.cpio.gz" "$OUT/initrd.cpio.gz"
echo "$spec" >"$OUT/kernel-package"
