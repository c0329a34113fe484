#!/usr/bin/env python3
"""scripts/bench unikernel: the Swift unikernel (examples/hello-unikernel) beside the Linux example
guest (examples/hello-microvm: Debian's cloud kernel and busybox httpd), measured in the same run.

Both boot from a Sortie disk (`sortie image build`) in QEMU under TCG with the devices of Sortie's
gce profile (virtio-scsi boot disk, virtio-net with user networking, rx_queue_size=1024):
  - ready: seconds from QEMU's start to the guest's ready line on COM1 (median of --boots boots);
  - archive: size of the GCE .tar.gz;
  - RAM: guest memory given (-m) and QEMU's resident set size once ready;
  - requests/s and p99 latency of GET /health through hostfwd at 1 and 16 connections (wrk, keep-alive
    where the guest allows it: busybox closes every connection);
  - idle: host CPU share of the QEMU process over 10 s with no traffic.

Usage: bench_unikernel.py SORTIE_BINARY [--boots N] [--duration S]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "unikernel"))
from guest import build_kernel, free_port  # noqa: E402


def ensure_wrk() -> str:
    if shutil.which("wrk") is None:
        print("installing wrk from Debian", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or "wrk"


class Guest:
    """QEMU with Sortie's gce profile devices, booting a raw Sortie disk."""

    def __init__(self, disk: Path, memory: int, expect: str):
        self.port = free_port()
        args = ["qemu-system-x86_64", "-nodefaults", "-no-user-config", "-machine", "pc", "-vga", "std",
                "-display", "none", "-accel", "tcg", "-m", str(memory), "-smp", "1", "-no-reboot",
                "-device", "virtio-scsi-pci,id=scsi0",
                "-drive", f"file={disk},format=raw,if=none,id=boot,cache=unsafe,snapshot=on",
                "-device", "scsi-hd,drive=boot,bus=scsi0.0,bootindex=0",
                "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{self.port}-:80",
                "-device", "virtio-net-pci,netdev=net0,mac=52:54:00:00:00:42,rx_queue_size=1024",
                "-serial", "stdio"]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.ready = threading.Event()
        self.ready_after = None
        self.console: list[str] = []
        threading.Thread(target=self._read, args=(expect,), daemon=True).start()

    def _read(self, expect: str) -> None:
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace")
            self.console.append(line)
            if expect in line and not self.ready.is_set():
                self.ready_after = time.monotonic() - self.started
                self.ready.set()

    def wait_ready(self, timeout: float) -> float:
        if not self.ready.wait(timeout):
            self.stop()
            sys.exit("bench unikernel: no ready line; console:\n" + "".join(self.console[-30:]))
        return self.ready_after

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def to_ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(tool: str, port: int, connections: int, duration: int) -> dict:
    out = subprocess.run([tool, f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--latency",
                          f"http://127.0.0.1:{port}/health"], capture_output=True, text=True, check=True).stdout
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p99": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)), "errors": errors}


def image(sortie: str, kernel: Path, cmdline: str, out: Path, initrd: Path | None = None) -> tuple[Path, int]:
    extra = ["--initrd", str(initrd)] if initrd else []
    for suffix in (".raw", ".tar.gz"):
        subprocess.run([sortie, "image", "build", str(kernel), "--cmdline", cmdline, *extra, "-o", str(out) + suffix],
                       check=True, capture_output=True)
    return Path(str(out) + ".raw"), Path(str(out) + ".tar.gz").stat().st_size


def measure(name: str, disk: Path, archive: int, memory: int, expect: str, boots: int, duration: int, tool: str) -> dict:
    times = []
    for _ in range(boots - 1):
        g = Guest(disk, memory, expect)
        times.append(g.wait_ready(120))
        g.stop()
    g = Guest(disk, memory, expect)
    times.append(g.wait_ready(120))
    try:
        time.sleep(2)
        rss = g.rss_mib()
        cpu0, t0 = g.cpu_seconds(), time.monotonic()
        time.sleep(10)
        idle = (g.cpu_seconds() - cpu0) / (time.monotonic() - t0)
        wrk(tool, g.port, 1, 1)                                   # warm up
        one = wrk(tool, g.port, 1, duration)
        many = wrk(tool, g.port, 16, duration)
    finally:
        g.stop()
    return {"name": name, "ready": statistics.median(times), "archive": archive, "memory": memory, "rss": rss,
            "one": one, "many": many, "idle": idle}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("sortie")
    parser.add_argument("--boots", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    tool = ensure_wrk()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        kernel = build_kernel(Path(tmp) / "hello-unikernel.elf")
        disk, size = image(args.sortie, kernel, "version=1", Path(tmp) / "uk")
        rows.append(measure("Swift unikernel (hello-unikernel)", disk, size, 32, "HELLO-UNIKERNEL READY",
                            args.boots, args.duration, tool))
        linux = REPO / ".build" / "guests" / "linux"
        if (linux / "vmlinuz").exists() and (linux / "initrd.img").exists():
            disk, size = image(args.sortie, linux / "vmlinuz", "sortie.version=1", Path(tmp) / "linux",
                               initrd=linux / "initrd.img")
            rows.append(measure("Linux micro-VM (hello-microvm, busybox)", disk, size, 256, "SORTIE-LINUX-READY",
                                max(1, args.boots // 2), args.duration, tool))
        else:
            print("(no Linux example guest: run scripts/build-guests to measure it too)", file=sys.stderr)
    print("| guest | ready from disk (TCG) | archive | guest RAM | QEMU RSS | req/s, 1 conn | p99, 1 conn "
          "| req/s, 16 conns | p99, 16 conns | errors | idle host CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['ready']:.2f} s | {r['archive'] / 1024:.0f} KiB | {r['memory']} MiB | {r['rss']:.0f} MiB "
              f"| {r['one']['rps']:.0f} | {r['one']['p99']:.1f} ms | {r['many']['rps']:.0f} | {r['many']['p99']:.1f} ms "
              f"| {r['one']['errors'] + r['many']['errors']} | {100 * r['idle']:.1f}% |")
    print(f"\n{os.cpu_count()} cores shared by QEMU and wrk; TCG; wrk {args.duration} s per cell; "
          f"ready = median of {args.boots} boots (Linux: {max(1, args.boots // 2)}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
