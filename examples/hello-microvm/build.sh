#!/usr/bin/env bash
# Builds hello-microvm (the example workload; also the Linux guest of the tests) from Debian packages into OUTDIR:
#   OUTDIR/vmlinuz     the kernel of Debian's linux-image-cloud-amd64
#   OUTDIR/initrd.img  gzip'd newc cpio: busybox (from busybox-static), the
#                      virtio/gVNIC driver modules and rootfs/ (an /init that
#                      prints SORTIE-LINUX-* markers and serves HTTP on :80)
# The kernel .deb is kept in OUTDIR/cache and reused when present (set
# LINUX_DEB=/path/to/linux-image-*.deb to use a given one instead).
# The initrd is reproducible: sorted entries, owner root, fixed mtime
# (SOURCE_DATE_EPOCH, default 0), gzip -n.
# Needs: apt (with package lists: apt-get update), dpkg-deb, binutils
# (objcopy, readelf), busybox-static, cpio, gzip.
# Usage: build.sh OUTDIR
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
cache=$out/cache
work=$out/work
epoch=${SOURCE_DATE_EPOCH:-0}
# Modules to load at boot; their dependencies are added automatically.
# (virtio_pci finds the devices; gve is Google's gVNIC, for real GCE VMs.)
modules=(virtio_pci virtio_net virtio_blk virtio_scsi sd_mod gve)

die() { echo "$0: $*" >&2; exit 1; }

# --- the kernel package ------------------------------------------------
mkdir -p "$cache"
deb=${LINUX_DEB:-}
if [ -z "$deb" ]; then
    deb=$(find "$cache" -maxdepth 1 -name 'linux-image-*-cloud-amd64_*_amd64.deb' | sort -V | tail -n 1)
fi
if [ -z "$deb" ]; then
    pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
          sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1)
    [ -n "$pkg" ] || die "cannot resolve linux-image-cloud-amd64 (run apt-get update first?)"
    (cd "$cache" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2) ||
        die "apt-get download $pkg failed (stale package lists? run apt-get update)"
    deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*_amd64.deb" | sort -V | tail -n 1)
    [ -n "$deb" ] || die "downloaded $pkg but found no .deb in $cache"
fi

rm -rf "$work"
mkdir -p "$work/deb" "$work/root"
dpkg-deb -x "$deb" "$work/deb"
kdir=$(find "$work/deb/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[ -n "$kdir" ] || die "$deb has no lib/modules/<version>"
kver=${kdir##*/}
[ -f "$work/deb/boot/vmlinuz-$kver" ] || die "$deb has no boot/vmlinuz-$kver"

# --- driver modules and their dependencies ------------------------------
# Built-in drivers need no module; the config and modules.builtin say which.
declare -A kofile=()
while IFS= read -r ko; do
    name=${ko##*/}
    name=${name%.ko}
    kofile[${name//-/_}]=$ko
done < <(cd "$kdir" && find kernel -name '*.ko' | LC_ALL=C sort)

declare -A state=()   # name -> visiting | handled
order=()
deps_of() {
    local tmp=$work/modinfo
    objcopy -O binary --only-section=.modinfo "$kdir/${kofile[$1]}" "$tmp"
    tr '\0' '\n' <"$tmp" | sed -n 's/^depends=//p' | tr ',' ' '
}
visit() {
    local m=${1//-/_} d
    [ "${state[$m]:-}" = handled ] && return 0
    [ "${state[$m]:-}" = visiting ] && die "module dependency cycle at $m"
    if [ -z "${kofile[$m]:-}" ]; then
        grep -q "/$m.ko\$" "$kdir/modules.builtin" 2>/dev/null ||
            grep -q "/${m//_/-}.ko\$" "$kdir/modules.builtin" 2>/dev/null ||
            die "module $m is neither in $deb nor built in"
        state[$m]=handled
        return 0
    fi
    state[$m]=visiting
    for d in $(deps_of "$m"); do
        visit "$d"
    done
    state[$m]=handled
    order+=("$m")
}
for m in "${modules[@]}"; do
    visit "$m"
done
# closure M: M's modular dependencies, transitively, each once.
closure() {
    local -A seen=()
    local todo=() more=() d
    read -ra todo <<<"$(deps_of "$1")"
    while [ ${#todo[@]} -gt 0 ]; do
        d=${todo[0]//-/_}
        todo=("${todo[@]:1}")
        [ -n "${seen[$d]:-}" ] || [ -z "${kofile[$d]:-}" ] && continue
        seen[$d]=1
        echo "$d"
        read -ra more <<<"$(deps_of "$d")"
        todo+=("${more[@]}")
    done
}

root=$work/root
mkdir -p "$root/lib/modules/$kver"
: >"$root/lib/modules/$kver/load-order"
: >"$root/lib/modules/$kver/modules.dep"
for m in "${order[@]}"; do
    ko=${kofile[$m]}
    mkdir -p "$root/lib/modules/$kver/${ko%/*}"
    cp "$kdir/$ko" "$root/lib/modules/$kver/$ko"
    echo "$ko" >>"$root/lib/modules/$kver/load-order"
    # modules.dep lists all (transitive) dependencies of each module.
    line="$ko:"
    for d in $(closure "$m"); do
        line+=" ${kofile[$d]}"
    done
    echo "$line" >>"$root/lib/modules/$kver/modules.dep"
done
cp "$kdir/modules.builtin" "$root/lib/modules/$kver/"

# --- busybox and the root file system -----------------------------------
busybox=
for b in /bin/busybox /usr/bin/busybox; do
    [ -x "$b" ] && { busybox=$b; break; }
done
[ -n "$busybox" ] || die "no busybox (apt-get install busybox-static)"
if readelf -l "$busybox" | grep -q 'Requesting program interpreter'; then
    die "$busybox is dynamically linked (apt-get install busybox-static)"
fi
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,var,www,root}
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
while IFS= read -r applet; do
    [ -e "$root/$applet" ] || [ -L "$root/$applet" ] && continue
    case $applet in
        bin/*) ln -s busybox "$root/$applet" ;;
        *) ln -s /bin/busybox "$root/$applet" ;;
    esac
done < <("$busybox" --list-full | LC_ALL=C sort)
install -m 0755 "$src/rootfs/init" "$root/init"
install -m 0755 "$src/rootfs/udhcpc.script" "$root/etc/udhcpc.script"
install -m 0755 "$src/rootfs/sortie-http" "$root/sbin/sortie-http"
echo "sortie-guest" >"$root/etc/hostname"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
echo "$kver" >"$root/etc/sortie-kernel-version"

# --- pack ---------------------------------------------------------------
find "$root" -exec touch -h -d "@$epoch" {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n >"$out/initrd.img.tmp"
cp "$work/deb/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
cp "$work/deb/boot/config-$kver" "$out/config"
mv -f "$out/vmlinuz.tmp" "$out/vmlinuz"
mv -f "$out/initrd.img.tmp" "$out/initrd.img"
echo "$kver" >"$out/kernel-version"
rm -rf "$work"
