#!/usr/bin/env bash
# Builds a Sortie unikernel: this folder's kernel plus an application's Swift files, one
# Embedded Swift module, into a multiboot ELF32 that GRUB (Sortie images) and QEMU -kernel boot.
# Needs only the Swift toolchain (swiftc on PATH or /opt/swift/usr/bin) and GNU binutils and gcc.
# Usage: unikernel/build.sh APP_SOURCE_DIR OUTPUT_KERNEL
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 APP_SOURCE_DIR OUTPUT_KERNEL" >&2
    exit 2
fi
kernel=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
app=$(cd "$1" && pwd)
out=$2
mkdir -p "$(dirname "$out")"
obj=$(mktemp -d "${TMPDIR:-/tmp}/unikernel-build.XXXXXX")
trap 'rm -rf "$obj"' EXIT

swiftc=$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)
[ -x "$swiftc" ] || { echo "swiftc not found (PATH or /opt/swift/usr/bin)" >&2; exit 1; }

as --64 -o "$obj/boot.o" "$kernel/boot/boot.S"
gcc -c -O2 -m64 -ffreestanding -fno-builtin -fno-stack-protector -fno-pic -mno-red-zone \
    -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections -Wall -Wextra -Werror \
    -I "$kernel/runtime" -o "$obj/runtime.o" "$kernel/runtime/runtime.c"
(cd "$obj" && "$swiftc" -enable-experimental-feature Embedded -target x86_64-unknown-none-elf \
    -swift-version 6 -wmo -parse-as-library -Osize -module-name Unikernel \
    -Xfrontend -disable-stack-protector -Xfrontend -function-sections -Xllvm -sil-disable-pass=closure-specialize -Xcc -mno-red-zone \
    -import-objc-header "$kernel/runtime/shim.h" -warnings-as-errors \
    -c $(find "$kernel/Sources" "$app" -name '*.swift' | sort) -o "$obj/swift.o")
ld -n -static -nostdlib -z max-page-size=0x1000 --build-id=none -z noexecstack --gc-sections \
    --no-warn-rwx-segments -T "$kernel/boot/linker.ld" -o "$obj/kernel64.elf" \
    "$obj/boot.o" "$obj/swift.o" "$obj/runtime.o"
# The kernel as booted, without symbols; OUTPUT.sym keeps them (addr2line -e OUTPUT.sym RIP).
objcopy -O elf32-i386 --strip-all "$obj/kernel64.elf" "$out"
cp "$obj/kernel64.elf" "$out.sym"
