"""Running hello-unikernel in QEMU (TCG) for the tests and the benchmark."""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
READY = "HELLO-UNIKERNEL READY"


def _die_with_parent() -> None:
    """In the child: SIGKILL when the test process dies, so no QEMU outlives a test run."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def build_kernel(out: Path) -> Path:
    """Builds hello-unikernel with unikernel/build.sh into `out` (seconds, nothing downloaded)."""
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/opt/swift/usr/bin")
    run = subprocess.run([str(REPO / "unikernel" / "build.sh"), str(REPO / "examples" / "hello-unikernel" / "Sources"),
                          str(out)], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"unikernel/build.sh failed:\n{run.stdout}{run.stderr}")
    return out


def sortie_binary() -> Path:
    """SORTIE_BIN, else .build/debug/sortie in the repository."""
    return Path(os.environ.get("SORTIE_BIN", REPO / ".build" / "debug" / "sortie"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Guest:
    """One QEMU guest booted with `-kernel`, its console collected line by line."""

    def __init__(self, kernel: Path, cmdline: str = "", *, port: int | None = None, memory: int = 32,
                 netdev: str | None = None, mac: str = "52:54:00:12:34:56", debug_exit: bool = True,
                 prefix: list[str] | None = None, rx_queue_size: int = 1024, qmp: Path | None = None):
        self.port = port if port is not None else free_port()
        if netdev is None:
            netdev = f"user,id=n0,hostfwd=tcp:127.0.0.1:{self.port}-:80"
        args = (prefix or []) + [
            shutil.which("qemu-system-x86_64") or "qemu-system-x86_64",
            "-accel", "tcg", "-nodefaults", "-no-user-config", "-display", "none", "-machine", "pc",
            "-m", str(memory), "-no-reboot", "-serial", "stdio",
            "-netdev", netdev, "-device", f"virtio-net-pci,netdev=n0,mac={mac},rx_queue_size={rx_queue_size}",
            "-kernel", str(kernel), "-append", cmdline,
        ]
        if debug_exit:
            args += ["-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
        self.qmp = qmp
        if qmp is not None:
            args += ["-qmp", f"unix:{qmp},server=on,wait=off"]
        self.started = time.monotonic()
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        preexec_fn=_die_with_parent)
        self.lines: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._changed:
                self.lines.append((time.monotonic() - self.started, line))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def console(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def wait_for(self, text: str, timeout: float = 30) -> tuple[float, str]:
        """Waits for a console line containing `text`; returns (seconds since start, line)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for t, line in self.lines:
                    if text in line:
                        return t, line
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._pending()):
                    raise AssertionError(f"no console line with {text!r} after {timeout}s; console:\n{self.console}")
                self._changed.wait(min(left, 0.2))

    def _pending(self) -> bool:
        return self.process.stdout is not None and not self.process.stdout.closed and self.process.poll() is None

    def wait_exit(self, timeout: float = 30) -> int:
        return self.process.wait(timeout)

    def qmp_command(self, command: str) -> dict:
        """Runs one QMP command (needs qmp= at start)."""
        import json
        assert self.qmp is not None
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.qmp))
            f = s.makefile("rwb")
            f.readline()                                             # greeting
            for cmd in ("qmp_capabilities", command):
                f.write(json.dumps({"execute": cmd}).encode() + b"\n")
                f.flush()
                while True:
                    answer = json.loads(f.readline())
                    if "return" in answer or "error" in answer:
                        break
            return answer

    def cpu_seconds(self) -> float:
        """User plus system CPU time QEMU has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def __enter__(self) -> "Guest":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
