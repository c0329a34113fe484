#!/usr/bin/env bash
# Builds the Sortie probe kernel (probe.S, a flat multiboot v1 binary loaded
# at 1 MiB) into OUTDIR/probe.bin. Its bytes are embedded in
# Sources/Machine/ProbeKernel.swift (regenerate with gen-swift.sh); a test checks they match.
# Needs only binutils (as, ld).
# Usage: build.sh OUTDIR
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$1
mkdir -p "$out"

AS=${AS:-as}
LD=${LD:-ld}
"$AS" --32 -o "$out/probe.o" "$src/probe.S"
"$LD" -m elf_i386 -Ttext 0x100000 --build-id=none -z noexecstack \
    --oformat binary -o "$out/probe.bin.tmp" "$out/probe.o"
size=$(wc -c < "$out/probe.bin.tmp")
if [ "$size" -ge 512 ]; then
    echo "$0: probe.bin is $size bytes, expected under 512" >&2
    exit 1
fi
mv -f "$out/probe.bin.tmp" "$out/probe.bin"
