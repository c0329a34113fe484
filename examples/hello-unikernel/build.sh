#!/usr/bin/env bash
# Builds hello-unikernel into dist/hello-unikernel.elf (a multiboot ELF32 kernel), in seconds,
# with nothing downloaded: the Swift toolchain (/opt/swift/usr/bin or PATH), gcc and binutils.
# Incremental, like make: nothing is done when the kernel is newer than every file of Sources/
# and of ../../unikernel (so `sortie deploy` of an unchanged kernel skips the 10 s of swiftc).
# -f or --force rebuilds anyway.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here/dist/hello-unikernel.elf
if [ "${1:-}" != "-f" ] && [ "${1:-}" != "--force" ] && [ -s "$out" ] &&
   [ -z "$(find "$here/Sources" "$here/../../unikernel" "${BASH_SOURCE[0]}" -type f -newer "$out" -print -quit)" ]; then
    echo "hello-unikernel: $out is up to date"
    exit 0
fi
export PATH="$PATH:/opt/swift/usr/bin"
exec "$here/../../unikernel/build.sh" "$here/Sources" "$out"
