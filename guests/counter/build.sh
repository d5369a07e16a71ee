#!/usr/bin/env bash
# Builds the counter guest: bash guests/counter/build.sh OUT_DIR  ->  OUT_DIR/kernel.elf (32-bit multiboot ELF).
# Needs only gcc and binutils: -m32 with -ffreestanding -nostdlib links no libc and no libgcc, so no gcc-multilib.
# Boot it with `qemu-system-x86_64 -kernel kernel.elf -append 'dirty-mib=8' -serial stdio -display none -m 64`.
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: $0 OUT_DIR}"
mkdir -p "$OUT"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

CFLAGS=(-m32 -march=i686 -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector -fno-builtin
  -fno-asynchronous-unwind-tables -mgeneral-regs-only -O2 -std=gnu11 -Wall -Wextra -Werror)
gcc "${CFLAGS[@]}" -c "$SRC/boot.S" -o "$tmp/boot.o"
gcc "${CFLAGS[@]}" -c "$SRC/counter.c" -o "$tmp/counter.o"
# No build id, fixed page size: the same sources give the same bytes (the catalogue records its sha256).
ld -m elf_i386 -T "$SRC/linker.ld" -z max-page-size=0x1000 --build-id=none --no-warn-rwx-segments -o "$tmp/kernel.elf" "$tmp/boot.o" "$tmp/counter.o"
LC_ALL=C grep -q "$(printf '\x02\xb0\xad\x1b')" "$tmp/kernel.elf" || { echo "counter: no multiboot header in kernel.elf" >&2; exit 1; }
mv "$tmp/kernel.elf" "$OUT/kernel.elf"
