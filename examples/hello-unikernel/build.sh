#!/usr/bin/env bash
# Builds hello-unikernel into OUTDIR/hello-unikernel.elf (default dist/; a multiboot ELF32 kernel,
# and hello-unikernel.elf.sym with symbols), in seconds, with nothing downloaded: the Swift
# toolchain (/opt/swift/usr/bin or PATH), gcc and binutils.
# Incremental, like make: nothing is done when the kernel is newer than every file of Sources/
# and of ../../unikernel (so `sortie deploy` of an unchanged kernel skips the 10 s of swiftc).
# Usage: build.sh [-f|--force] [OUTDIR]   (-f rebuilds anyway)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
force=
case ${1:-} in -f|--force) force=1; shift ;; esac
out=${1:-$here/dist}/hello-unikernel.elf
if [ -z "$force" ] && [ -s "$out" ] &&
   [ -z "$(find "$here/Sources" "$here/../../unikernel" "${BASH_SOURCE[0]}" -type f -newer "$out" -print -quit)" ]; then
    echo "hello-unikernel: $out is up to date"
    exit 0
fi
export PATH="$PATH:/opt/swift/usr/bin"
exec "$here/../../unikernel/build.sh" "$here/Sources" "$out"
