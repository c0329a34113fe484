"""scripts/bench image: kernel -> GCE image archive, Sortie against GNU tar.

For kernels of 256 KB, 6.6 MB and 64 MB (the test multiboot kernel followed by x86 machine code
from the QEMU binary, so they compress like real kernels), measures:
  - sortie image build KERNEL -o out.tar.gz  (the whole job: detect, lay out, GRUB, FAT, tar, gzip)
  - tar --format=oldgnu -Sczf ref.tar.gz disk.raw  (only archiving the finished raw disk)
  - grub-mkimage alone (what Sortie caches)
Wall time is the median of several runs, each writing a new output file (replacing one costs
an extra 2-3 ms on a discard-mounted ext4, for either tool); peak memory is the maximum resident
set (GNU time). Sortie is the release build with the Swift runtime linked statically, as
scripts/quickstart builds it.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SORTIE = sys.argv[1]
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = os.path.join(REPO, ".build/guests/multiboot/kernel.elf")
SIZES = [("256 KB", 256 * 1024), ("6.6 MB", 6_600_000), ("64 MB", 64 * 1024 * 1024)]


def make_kernel(path, size):
    filler = open(shutil.which("qemu-system-x86_64"), "rb").read()
    head = open(KERNEL, "rb").read()
    data = head + (filler * (size // len(filler) + 1))
    with open(path, "wb") as f:
        f.write(data[:size])


def measure(argv, env=None, cwd=None, output=None):
    """(median wall seconds, max peak RSS in KiB) over RUNS runs, each writing a fresh `output`."""
    times, peaks = [], []
    for _ in range(RUNS):
        if output and os.path.exists(output):
            os.unlink(output)
        start = time.perf_counter()
        out = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, env=env, cwd=cwd,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True, text=True)
        times.append(time.perf_counter() - start)
        peaks.append(int(out.stderr.strip().splitlines()[-1]))
    return statistics.median(times), max(peaks)


def grub_mkimage(work):
    cfg = os.path.join(work, "early.cfg")
    open(cfg, "w").write("set root=(hd0,msdos1)\n")
    mods = "biosdisk part_msdos fat multiboot multiboot2 linux16 serial terminal configfile".split()
    t, m = measure(["grub-mkimage", "-O", "i386-pc", "-p", "(hd0,msdos1)/boot/grub", "-c", cfg,
                    "-o", os.path.join(work, "core.img")] + mods)
    return t, m


def main():
    work = tempfile.mkdtemp(prefix="sortie-bench-")
    env = dict(os.environ, SORTIE_CACHE_DIR=os.path.join(work, "cache"))
    rows = []
    try:
        # Warm the core.img cache once, as every build after the first finds it.
        subprocess.run([SORTIE, "image", "build", KERNEL, "-o", os.path.join(work, "warm.raw")],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        for label, size in SIZES:
            kernel = os.path.join(work, f"kernel-{size}.elf")
            make_kernel(kernel, size)
            out = os.path.join(work, "out.tar.gz")
            raw_dir = os.path.join(work, f"raw-{size}")
            os.makedirs(raw_dir)
            subprocess.run([SORTIE, "image", "build", kernel, "-o", os.path.join(raw_dir, "disk.raw")],
                           env=env, check=True, stdout=subprocess.DEVNULL)
            s_time, s_mem = measure([SORTIE, "image", "build", kernel, "-o", out], env=env, output=out)
            s_size = os.path.getsize(out)
            first = open(out, "rb").read()
            subprocess.run([SORTIE, "image", "build", kernel, "-o", out], env=env, check=True, stdout=subprocess.DEVNULL)
            identical = first == open(out, "rb").read()
            ref = os.path.join(work, "ref.tar.gz")
            t_time, t_mem = measure(["tar", "--format=oldgnu", "-Sczf", ref, "disk.raw"], cwd=raw_dir, output=ref)
            t_size = os.path.getsize(ref)
            rows.append((label, s_time, s_mem, s_size, t_time, t_mem, t_size, identical, size))
        g_time, g_mem = grub_mkimage(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"scripts/bench image: {os.cpu_count()} cores, median of {RUNS} runs, peak RSS from GNU time\n")
    print("| kernel | Sortie: kernel → .tar.gz | Sortie peak memory | GNU tar -Sczf of the finished disk | tar peak memory | time ratio Sortie/tar | Sortie output | tar output | reproducible |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, s_time, s_mem, s_size, t_time, t_mem, t_size, identical, size in rows:
        budget = 32 * 1024 + size // 1024
        print(f"| {label} | {s_time * 1000:.0f} ms | {s_mem / 1024:.1f} MB (target ≤ {budget / 1024:.0f}) | "
              f"{t_time * 1000:.0f} ms | {t_mem / 1024:.1f} MB | {s_time / t_time:.2f} | "
              f"{s_size:,} B | {t_size:,} B | {'yes' if identical else 'NO'} |")
    print(f"\ngrub-mkimage alone (cached by Sortie after the first build): {g_time * 1000:.0f} ms, {g_mem / 1024:.1f} MB")
    print("GNU tar pipes through gzip: its time includes compression; its peak memory is the largest of tar and gzip.")


if __name__ == "__main__":
    main()
