#!/usr/bin/env bash
# Builds the Sortie test kernel (a tiny 32-bit C kernel, see kernel.c) into
# OUTDIR as three ELF files loaded at 1 MiB:
#   kernel.elf       multiboot v1 header (bootable by GRUB and QEMU -kernel)
#   kernel-mb2.elf   multiboot2 header (bootable by GRUB's multiboot2)
#   kernel-nomb.elf  no multiboot header at all (for negative tests)
# Needs only gcc and binutils (no gcc-multilib: no libc/libgcc is used).
# Usage: build.sh OUTDIR
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$1
mkdir -p "$out/obj"
out=$(cd "$out" && pwd)
obj=$out/obj

CC=${CC:-gcc}
LD=${LD:-ld}
cflags=(-m32 -march=i686 -ffreestanding -nostdlib -fno-pie -fno-pic
        -fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin
        -mgeneral-regs-only -O2 -Wall -Wextra -Werror
        "-fdebug-prefix-map=$src=.")
ldflags=(-m elf_i386 -nostdlib -static -T "$src/kernel.ld" --build-id=none
         -z noexecstack -z max-page-size=0x1000)

"$CC" "${cflags[@]}" -c "$src/kernel.c" -o "$obj/kernel.o"
for s in entry mb1 mb2; do
    "$CC" "${cflags[@]}" -c "$src/$s.S" -o "$obj/$s.o"
done

# Link to a temporary name and rename, so a half-written file never looks new.
link() {
    local target=$1; shift
    "$LD" "${ldflags[@]}" -o "$out/$target.tmp" "$@"
    mv -f "$out/$target.tmp" "$out/$target"
}
link kernel.elf      "$obj/mb1.o" "$obj/entry.o" "$obj/kernel.o"
link kernel-mb2.elf  "$obj/mb2.o" "$obj/entry.o" "$obj/kernel.o"
link kernel-nomb.elf              "$obj/entry.o" "$obj/kernel.o"
