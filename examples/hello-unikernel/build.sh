#!/usr/bin/env bash
# Builds hello-unikernel into dist/hello-unikernel.elf (a multiboot ELF32 kernel), in seconds,
# with nothing downloaded: the Swift toolchain (/opt/swift/usr/bin or PATH), gcc and binutils.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH="$PATH:/opt/swift/usr/bin"
exec "$here/../../unikernel/build.sh" "$here/Sources" "$here/dist/hello-unikernel.elf"
