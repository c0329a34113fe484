#!/usr/bin/env python3
"""The main job on this machine: `sortie deploy` of hello-microvm to the local plane.

Starts `sortie serve` in a temporary data directory, copies examples/hello-microvm/sortie.yml
into a temporary project (with free loopback ports), runs `sortie deploy` of version 1 from
nothing, then `HELLO_VERSION=2 sortie deploy` while two clients loop requests through the load
balancer, and prints both summaries and the request count (failed: 0). Standard library only.

Usage: deploy_demo.py [--sortie PATH] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Load:
    """Clients looping GET / through the load balancer; every answer is counted."""

    def __init__(self, address: str, workers: int = 2):
        self.address, self.stop_flag = address, threading.Event()
        self.versions: dict[str, int] = {}
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(workers)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join(20)

    def run(self):
        host, port = self.address.split(":")
        while not self.stop_flag.is_set():
            try:
                conn = http.client.HTTPConnection(host, int(port), timeout=15)
                conn.request("GET", "/")
                response = conn.getresponse()
                body = response.read().decode(errors="replace")
                conn.close()
                with self.lock:
                    if response.status == 200 and body.startswith("hello from version "):
                        v = body.removeprefix("hello from version ").strip()
                        self.versions[v] = self.versions.get(v, 0) + 1
                    else:
                        self.failures.append(f"{response.status} {body[:80]!r}")
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.failures.append(f"{type(e).__name__}: {e}")
            self.stop_flag.wait(0.1)


def write_project(project: str, api_port: int, lb_port: int, edit=lambda config: config) -> None:
    """This example's sortie.yml in `project`, pointed at a plane on `api_port`, the balancer on `lb_port`."""
    with open(os.path.join(HERE, "sortie.yml")) as f:
        config = f.read()
    config = (config.replace("http://127.0.0.1:8765", f"http://127.0.0.1:{api_port}")
                    .replace("http-port: 8080", f"http-port: {lb_port}")
                    .replace("../../.build", os.path.join(REPO, ".build")))
    with open(os.path.join(project, "sortie.yml"), "w") as f:
        f.write(edit(config))


class LocalPlane:
    """`sortie serve` on a loopback port with its data in `data`, stopped (SIGTERM) on exit."""

    def __init__(self, sortie: str, data: str, port: int, log_path: str):
        self.sortie, self.data, self.port, self.log_path = sortie, data, port, log_path

    def __enter__(self) -> "LocalPlane":
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([self.sortie, "serve", "--listen", f"127.0.0.1:{self.port}", "--data", self.data],
                                     stdout=self.log, stderr=self.log)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.path.join(REPO, ".build", "release", "sortie")
    if not os.path.exists(default):
        default = os.path.join(REPO, ".build", "debug", "sortie")
    parser.add_argument("--sortie", default=default, help="the sortie binary")
    parser.add_argument("--keep", action="store_true", help="leave the plane running (Ctrl-C to stop)")
    args = parser.parse_args()
    sortie = os.path.abspath(args.sortie)

    work = tempfile.mkdtemp(prefix="sortie-deploy-demo-")
    data, project = os.path.join(work, "plane"), os.path.join(work, "project")
    os.makedirs(project)
    api_port, lb_port = free_port(), free_port()
    write_project(project, api_port, lb_port)
    plane = LocalPlane(sortie, data, api_port, os.path.join(work, "serve.log"))
    try:
        with plane:
            return demo(sortie, project, data, dict(os.environ, SORTIE_SERVE_DATA=data), f"127.0.0.1:{lb_port}", args.keep)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def demo(sortie: str, project: str, data: str, env: dict, address: str, keep: bool) -> int:
    def deploy(version: str) -> subprocess.CompletedProcess:
        print(f"\n==> sortie deploy (HELLO_VERSION={version}) in {project}", flush=True)
        return subprocess.run([sortie, "deploy", "--yes"], cwd=project, env=dict(env, HELLO_VERSION=version),
                              stdin=subprocess.DEVNULL)

    if deploy("1").returncode != 0:
        return 1
    with Load(address) as load:
        second = deploy("2")
        time.sleep(2)
    if second.returncode != 0:
        return 1
    total = sum(load.versions.values()) + len(load.failures)
    print(f"\nrequests during the second deploy: {total} "
          f"({', '.join(f'v{k}: {v}' for k, v in sorted(load.versions.items()))}), failed: {len(load.failures)}")
    for failure in load.failures[:5]:
        print("  failed:", failure)
    print(f"now answering at http://{address}/")
    if keep:
        print(f"\nThe plane keeps running (data in {data}); try, in {project}:\n"
              f"  SORTIE_SERVE_DATA={data} {sortie} status\nCtrl-C to stop.")
        signal.sigwait([signal.SIGINT, signal.SIGTERM])
    return 0 if not load.failures else 1


if __name__ == "__main__":
    sys.exit(main())
