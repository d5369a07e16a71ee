#!/usr/bin/env bash
# Builds the test guests into the image catalogue that brokers, tests and the demo boot on real QEMU:
#
#   bash scripts/libvirt/build-images.sh          build what is out of date (a stamp of every input), else nothing
#   bash scripts/libvirt/build-images.sh --force  rebuild
#
# Catalogue: ${RESERVOIR_IMAGE_DIR:-<repo>/.services/images}
#   catalogue.json               every image: ref, boot (kernel, initrd, cmdline), files with sha256, minMemoryMiB
#   counter/kernel.elf           guests/counter: freestanding multiboot guest, prints counter=N every 100 ms
#   counter/disk.qcow2           empty 64 MiB base disk (the base of per-domain copy-on-write overlays)
#   tiny-linux/vmlinuz           guests/tiny-linux: the Debian cloud kernel
#   tiny-linux/initrd.cpio.gz    busybox initramfs: prints tiny-linux: ready, reservoir.* parameters, tick=N
#   tiny-linux/disk.qcow2        empty 64 MiB base disk
#
# An image's `sha256` is the sha256 of its `sha256sum` lines (digest, two spaces, path relative to the catalogue,
# sorted by path), so it changes when any of its files does. A file whose bytes did not change is left in place
# (same inode): running domains and overlays on a base disk are not disturbed by a rebuild.
#
# Needs: gcc, binutils, qemu-utils, cpio, busybox-static, apt (bash scripts/libvirt/libvirt.sh install).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
IMAGE_DIR="${RESERVOIR_IMAGE_DIR:-$REPO_ROOT/.services/images}"
STAMP="$IMAGE_DIR/.inputs.sha256"
CATALOGUE="$IMAGE_DIR/catalogue.json"
BASE_DISK_SIZE=64M

die() { echo "images: ERROR: $*" >&2; exit 1; }

for tool in gcc ld qemu-img cpio sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (as root: bash scripts/libvirt/libvirt.sh install)"
done

mkdir -p "$IMAGE_DIR"
exec 9>"$IMAGE_DIR/.lock"
flock -w 300 9 || die "another build-images.sh is still busy after 300 s (lock $IMAGE_DIR/.lock)"

# Everything the images are made from: the guest sources, this script, the toolchain and the Debian packages the
# tiny-linux build would use now (resolved from the local apt lists, nothing downloaded).
inputs_key() {
  (
    cd "$REPO_ROOT"
    find guests/counter guests/tiny-linux scripts/libvirt/build-images.sh -type f | LC_ALL=C sort | xargs sha256sum
    gcc --version | head -n1
    ld --version | head -n1
    qemu-img --version | head -n1
    bash guests/tiny-linux/build.sh --inputs
  ) | sha256sum | cut -d' ' -f1
}

# True if the catalogue lists files that all exist with their recorded digests.
catalogue_intact() {
  [[ -f "$CATALOGUE" ]] || return 1
  local sums
  sums="$(sed -n 's/^ *{ "path": "\([^"]*\)", "sha256": "\([0-9a-f]*\)".*/\2  \1/p' "$CATALOGUE")"
  [[ -n "$sums" ]] && (cd "$IMAGE_DIR" && sha256sum --quiet -c - <<<"$sums" >/dev/null 2>&1)
}

key="$(inputs_key)"
if [[ "${1:-}" != --force && -f "$STAMP" && "$(cat "$STAMP")" == "$key" ]] && catalogue_intact; then
  echo "images: counter, tiny-linux up to date in ${IMAGE_DIR#"$REPO_ROOT"/}"
  exit 0
fi

t0=$(date +%s%N)
tmp="$(mktemp -d "$IMAGE_DIR/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

bash "$REPO_ROOT/guests/counter/build.sh" "$tmp/counter" || die "building the counter guest failed"
bash "$REPO_ROOT/guests/tiny-linux/build.sh" "$tmp/tiny-linux" || die "building the tiny-linux guest failed"
kernel_package="$(cat "$tmp/tiny-linux/kernel-package")"
rm -f "$tmp/tiny-linux/kernel-package"
for image in counter tiny-linux; do
  qemu-img create -q -f qcow2 "$tmp/$image/disk.qcow2" "$BASE_DISK_SIZE" || die "qemu-img create failed"
done

# Move the new files into place, keeping every file whose content is unchanged.
for f in $(cd "$tmp" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); do
  mkdir -p "$IMAGE_DIR/$(dirname "$f")"
  if [[ -f "$IMAGE_DIR/$f" ]] && cmp -s "$tmp/$f" "$IMAGE_DIR/$f"; then continue; fi
  mv -f "$tmp/$f" "$IMAGE_DIR/$f"
done

# "{ "path": ..., "sha256": ..., "bytes": ... }" lines for the given files, and the image digest over them.
file_entries() {
  local f sep=""
  for f in "$@"; do
    printf '%s        { "path": "%s", "sha256": "%s", "bytes": %d }' "$sep" "$f" \
      "$(sha256sum "$IMAGE_DIR/$f" | cut -d' ' -f1)" "$(stat -c %s "$IMAGE_DIR/$f")"
    sep=$',\n'
  done
  echo
}
image_digest() {
  (cd "$IMAGE_DIR" && printf '%s\n' "$@" | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -d' ' -f1
}

# image_entry REF DESCRIPTION MIN_MIB READY CMDLINE KERNEL INITRD(or "") OTHER_FILES...
image_entry() {
  local ref="$1" desc="$2" min="$3" ready="$4" cmdline="$5" kernel="$6" initrd="$7"
  shift 7
  local files=("$kernel" ${initrd:+"$initrd"} "$@") initrd_json=""
  [[ -z "$initrd" ]] || initrd_json=", \"initrd\": \"$initrd\""
  cat <<EOF
    {
      "ref": "$ref",
      "description": "$desc",
      "format": "qcow2",
      "sha256": "$(image_digest "${files[@]}")",
      "minMemoryMiB": $min,
      "boot": { "kind": "kernel", "kernel": "$kernel"$initrd_json, "cmdline": "$cmdline" },
      "disk": "$ref/disk.qcow2",
      "consoleReady": "$ready",
      "files": [
$(file_entries "${files[@]}")
      ]
    }
EOF
}

counter_entry="$(image_entry counter "a freestanding multiboot guest: prints counter=N on COM1 every 100 ms, dirties dirty-mib=N MiB per tick; boots in well under 0.1 s" \
  16 "counter=1" "" counter/kernel.elf "" counter/disk.qcow2)"
tiny_linux_entry="$(image_entry tiny-linux "Debian cloud kernel ($kernel_package) with a busybox initramfs: prints tiny-linux: ready, its reservoir.* kernel parameters and tick=N every second; needs at least 80 MiB, boots in about 3 s under TCG" \
  80 "tiny-linux: ready" "console=ttyS0 quiet" tiny-linux/vmlinuz tiny-linux/initrd.cpio.gz tiny-linux/disk.qcow2)"
{
  cat <<EOF
{
  "version": 1,
  "about": "Reservoir image catalogue, written by scripts/libvirt/build-images.sh. Paths are relative to this file; an image's sha256 is the sha256 of the sha256sum lines of its files, sorted by path. Boot with type='qemu' (TCG) unless .services/libvirt/accel.json says kvm.",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "images": [
EOF
  printf '%s,\n%s\n' "$counter_entry" "$tiny_linux_entry"
  cat <<EOF
  ]
}
EOF
} >"$tmp/catalogue.json"
mv -f "$tmp/catalogue.json" "$CATALOGUE"
echo "$key" >"$STAMP"
ms=$((($(date +%s%N) - t0) / 1000000))
printf 'images: counter, tiny-linux built into %s in %d.%d s (kernel %s)\n' "${IMAGE_DIR#"$REPO_ROOT"/}" $((ms / 1000)) $((ms % 1000 / 100)) "$kernel_package"
