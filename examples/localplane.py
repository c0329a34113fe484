"""What the examples' demos share: `sortie serve` on a loopback port, an example's sortie.yml copied
into a temporary project pointed at it, a loop of requests through the load balancer that counts
every answer, and the plane's REST API for what `sortie status` does not show. Standard library
only (the demos run before any Python package is installed).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

EXAMPLES = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(EXAMPLES)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_sortie() -> str:
    """The release build if there is one (scripts/quickstart makes it), else the debug build."""
    for config in ("release", "debug"):
        path = os.path.join(REPO, ".build", config, "sortie")
        if os.path.exists(path):
            return path
    return os.path.join(REPO, ".build", "release", "sortie")


def write_project(example: str, project: str, api_port: int, lb_port: int, edit=lambda config: config) -> None:
    """`example`'s sortie.yml in `project`, pointed at a plane on `api_port` and the balancer on
    `lb_port`, with its relative paths (./build.sh, dist/, ../../.build) made absolute."""
    with open(os.path.join(example, "sortie.yml")) as f:
        config = f.read()
    config = (config.replace("http://127.0.0.1:8765", f"http://127.0.0.1:{api_port}")
                    .replace("http-port: 8080", f"http-port: {lb_port}")
                    .replace("../../.build", os.path.join(REPO, ".build"))
                    .replace("command: ./", "command: " + example + "/")
                    .replace("kernel: dist/", "kernel: " + os.path.join(example, "dist") + "/"))
    with open(os.path.join(project, "sortie.yml"), "w") as f:
        f.write(edit(config))


class LocalPlane:
    """`sortie serve` on a loopback port with its data in `data`, stopped (SIGTERM) on exit."""

    def __init__(self, sortie: str, data: str, port: int, log_path: str, extra_args: tuple[str, ...] = ()):
        self.sortie, self.data, self.port, self.log_path, self.extra_args = sortie, data, port, log_path, extra_args

    def __enter__(self) -> "LocalPlane":
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([self.sortie, "serve", "--listen", f"127.0.0.1:{self.port}", "--data", self.data,
                                      *self.extra_args], stdout=self.log, stderr=self.log)
        for _ in range(100):
            if os.path.exists(os.path.join(self.data, "token")):
                break
            time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def get(self, path: str) -> dict:
        """GET of a Compute Engine API path (``projects/P/zones/Z/...``) with the plane's token."""
        with open(os.path.join(self.data, "token")) as f:
            token = f.read().strip()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/compute/v1/{path}",
                                         headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


class Sandbox:
    """A temporary directory holding a fresh `sortie serve` (``plane/``, on a free loopback port)
    and a project (``project/``) with `example`'s sortie.yml pointed at it (``edit`` may change the
    text first). As a context manager it starts the plane, stops it on exit, and then removes the
    directory unless ``keep`` has been set."""

    def __init__(self, sortie: str, example: str, prefix: str, edit=lambda config: config,
                 extra_args: tuple[str, ...] = ()):
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.data, self.project = os.path.join(self.work, "plane"), os.path.join(self.work, "project")
        os.makedirs(self.project)
        api_port, self.lb_port = free_port(), free_port()
        write_project(example, self.project, api_port, self.lb_port, edit)
        self.plane = LocalPlane(sortie, self.data, api_port, os.path.join(self.work, "serve.log"), extra_args)
        self.keep = False

    @property
    def address(self) -> str:
        """The load balancer's listener, HOST:PORT."""
        return f"127.0.0.1:{self.lb_port}"

    @property
    def env(self) -> dict:
        """The environment for `sortie` commands run in the project (they find the plane's token)."""
        return dict(os.environ, SORTIE_SERVE_DATA=self.data)

    def config(self) -> str:
        with open(os.path.join(self.project, "sortie.yml")) as f:
            return f.read()

    def __enter__(self) -> "Sandbox":
        try:
            self.plane.__enter__()
        except BaseException:
            shutil.rmtree(self.work, ignore_errors=True)
            raise
        return self

    def __exit__(self, *exc):
        try:
            self.plane.__exit__(*exc)
        finally:
            if not self.keep:
                shutil.rmtree(self.work, ignore_errors=True)


class Load:
    """`workers` clients looping GET `path` through the load balancer over keep-alive connections
    (a new one after an error or a close), `pause` seconds apart. A 200 counts under the key
    `key(body)` (by default the body, stripped: /version answers the version); anything else,
    an error or a timeout, is a failure."""

    def __init__(self, address: str, workers: int = 2, path: str = "/version", pause: float = 0.1,
                 key=lambda body: body.strip(), timeout: float = 15):
        self.address, self.path, self.pause, self.key, self.timeout = address, path, pause, key, timeout
        self.stop_flag = threading.Event()
        self.counts: dict[str, int] = {}
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(workers)]

    def __enter__(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join(self.timeout + 5)

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + len(self.failures)

    def run(self):
        host, port = self.address.split(":")
        conn = None
        while not self.stop_flag.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, int(port), timeout=self.timeout)
                conn.request("GET", self.path)
                response = conn.getresponse()
                body = response.read().decode(errors="replace")
                with self.lock:
                    if response.status == 200:
                        k = self.key(body)
                        self.counts[k] = self.counts.get(k, 0) + 1
                    else:
                        self.failures.append(f"{response.status} {body[:80]!r}")
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.failures.append(f"{type(e).__name__}: {e}")
                if conn is not None:
                    conn.close()
                conn = None
            self.stop_flag.wait(self.pause)
        if conn is not None:
            conn.close()


def qemu_pids(instance_id: str) -> list[int]:
    """The QEMU process(es) `sortie serve` runs for the instance with this id (``-name sortie-ID``)."""
    needle = f"-name sortie-{instance_id} ".encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if needle in f.read().replace(b"\0", b" "):
                    pids.append(int(entry))
        except OSError:
            continue
    return pids
