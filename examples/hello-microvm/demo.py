#!/usr/bin/env python3
"""The main job on one machine, with no cloud account: a rolling update with zero failed requests.

  1. builds GCE images of hello-microvm version 1 and version 2 (``sortie image build``);
  2. starts ``sortie serve`` (the local Compute Engine) on loopback, in a temporary data dir;
  3. through the Compute Engine and Cloud Storage REST APIs, exactly as on GCE: uploads both
     images, registers them, creates instance templates, an HTTP health check, a managed
     instance group of 2 with autohealing, and the load balancer chain (backend service, URL
     map, target HTTP proxy, forwarding rule on 127.0.0.1:PORT);
  4. starts a loop of requests through the load balancer, PATCHes the group to version 2
     (surge 1, unavailable 0) and waits until every instance runs version 2 and is healthy;
  5. prints what answered, how many requests failed (the point: none), and the time per step.

Usage: examples/hello-microvm/demo.py [--sortie PATH] [--guest DIR] [--port N] [--size N]
                                      [--max-surge N] [--max-unavailable N] [--json] [--keep]
  --sortie           the sortie binary (default: .build/release/sortie, else .build/debug/sortie)
  --guest            folder with vmlinuz and initrd.img (default: .build/guests/linux, made by
                     scripts/build-guests)
  --port             the load balancer's port (default: a free one)
  --size             instances in the group (default 2)
  --max-surge        the update policy's maxSurge (default 1)
  --max-unavailable  the update policy's maxUnavailable (default 0; --max-surge 0
                     --max-unavailable SIZE replaces every instance at once, as blind tools do)
  --json             print the summary as one JSON object on stdout (progress goes to stderr)
  --keep             leave the plane and its VMs running at the end (Ctrl-C stops them)
Exit status 0 only when the rollout completed with zero failed requests.
Only the Python standard library is used; every call is plain REST, with the plane's token.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PROJECT = "demo"
ZONE = "local1-a"
COMPUTE = f"/compute/v1/projects/{PROJECT}"


def log(line: str):
    """Progress: on stdout, or on stderr when stdout carries --json."""
    print(line, file=sys.stderr if JSON_OUTPUT else sys.stdout, flush=True)


JSON_OUTPUT = False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Steps:
    """Prints each step as it starts and keeps its duration for the summary."""

    def __init__(self):
        self.done: list[tuple[str, float]] = []

    def run(self, title: str, fn, *args):
        log(f"==> {title}")
        start = time.monotonic()
        result = fn(*args)
        self.done.append((title, time.monotonic() - start))
        return result


class API:
    """The plane's REST API with its bearer token (never printed)."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body=None, data: bytes | None = None, content_type="application/json"):
        if body is not None:
            data = json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Authorization": f"Bearer {self.token}", "Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                text = response.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            sys.exit(f"demo: {method} {path} failed with {e.code}: {detail[:500]}")
        return json.loads(text) if text else {}

    def wait(self, operation: dict) -> dict:
        """Waits for a Compute operation to be DONE; exits with its errors if it failed."""
        while operation.get("status") != "DONE":
            scope = f"zones/{ZONE}" if operation.get("zone") else "global"
            operation = self.call("POST", f"{COMPUTE}/{scope}/operations/{operation['name']}/wait")
        if operation.get("error"):
            sys.exit(f"demo: {operation.get('operationType')} {operation.get('targetLink')} failed: {operation['error']}")
        return operation

    def insert(self, collection: str, body: dict, scope: str = "global") -> dict:
        return self.wait(self.call("POST", f"{COMPUTE}/{scope}/{collection}", body))


class Plane:
    """``sortie serve`` in a temporary data dir, stopped (VMs powered off) at the end."""

    def __init__(self, sortie: str, root: str):
        self.sortie, self.root = sortie, root
        self.port = free_port()
        self.data = os.path.join(root, "data")
        self.log = os.path.join(root, "serve.log")
        self.proc: subprocess.Popen | None = None

    def start(self) -> API:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([self.sortie, "serve", "--listen", f"127.0.0.1:{self.port}", "--data", self.data],
                                         stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        token_file = os.path.join(self.data, "token")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"demo: sortie serve exited ({self.proc.returncode}); its log:\n{open(self.log).read()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                with open(token_file) as f:
                    token = f.read().strip()
                if token:
                    return API(f"http://127.0.0.1:{self.port}", token)
            except OSError:
                time.sleep(0.2)
        sys.exit(f"demo: sortie serve did not start within 60 s; see {self.log}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Load:
    """Clients sending GET / through the load balancer until stopped; counts answers by version."""

    def __init__(self, port: int, workers: int = 2, pause: float = 0.1):
        self.port, self.pause = port, pause
        self.versions: dict[str, int] = {}
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(30)

    @property
    def total(self) -> int:
        return sum(self.versions.values()) + len(self.failures)

    def _run(self):
        while not self.stopping.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            try:
                conn.request("GET", "/")
                response = conn.getresponse()
                body = response.read().decode(errors="replace")
                with self.lock:
                    if response.status == 200 and body.startswith("hello from version "):
                        version = body.removeprefix("hello from version ")
                        self.versions[version] = self.versions.get(version, 0) + 1
                    else:
                        self.failures.append(f"{response.status} {body[:80]!r}")
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.failures.append(f"{type(e).__name__}: {e}")
            finally:
                conn.close()
            self.stopping.wait(self.pause)


def build_images(sortie: str, guest: str, root: str) -> dict[str, str]:
    out = {}
    for version in ("1", "2"):
        path = os.path.join(root, f"hello-v{version}.tar.gz")
        subprocess.run([sortie, "image", "build", os.path.join(guest, "vmlinuz"), "--initrd", os.path.join(guest, "initrd.img"),
                        "--cmdline", f"sortie.version={version}", "-o", path], check=True, stdout=subprocess.DEVNULL)
        out[version] = path
    return out


def register(api: API, archives: dict[str, str]) -> dict[str, str]:
    """Uploads each archive, registers an image in family hello, and an instance template."""
    api.call("POST", f"/storage/v1/b?project={PROJECT}", {"name": "hello-images"})
    templates = {}
    for version, path in archives.items():
        name = f"hello-v{version}.tar.gz"
        with open(path, "rb") as f:
            api.call("POST", f"/upload/storage/v1/b/hello-images/o?uploadType=media&name={name}", data=f.read(),
                     content_type="application/gzip")
        api.insert("images", {"name": f"hello-v{version}", "family": "hello",
                              "rawDisk": {"source": f"https://storage.googleapis.com/hello-images/{name}"}})
        api.insert("instanceTemplates", {"name": f"hello-v{version}", "properties": {
            "machineType": "e2-micro",
            "disks": [{"boot": True, "autoDelete": True, "initializeParams": {"sourceImage": f"global/images/hello-v{version}"}}]}})
        templates[version] = f"global/instanceTemplates/hello-v{version}"
    return templates


def create_service(api: API, template: str, port: int, size: int, surge: int, unavailable: int):
    api.insert("healthChecks", {"name": "hello-health", "type": "HTTP", "checkIntervalSec": 1, "timeoutSec": 1,
                                "healthyThreshold": 1, "unhealthyThreshold": 2,
                                "httpHealthCheck": {"port": 80, "requestPath": "/health"}})
    api.insert("instanceGroupManagers", scope=f"zones/{ZONE}", body={
        "name": "hello", "baseInstanceName": "hello", "targetSize": size, "instanceTemplate": template,
        "namedPorts": [{"name": "http", "port": 80}],
        "autoHealingPolicies": [{"healthCheck": "global/healthChecks/hello-health", "initialDelaySec": 120}],
        "updatePolicy": {"type": "PROACTIVE", "minimalAction": "REPLACE", "maxSurge": {"fixed": surge}, "maxUnavailable": {"fixed": unavailable}}})
    group = api.call("GET", f"{COMPUTE}/zones/{ZONE}/instanceGroupManagers/hello")
    api.insert("backendServices", {"name": "hello", "protocol": "HTTP", "portName": "http", "timeoutSec": 30,
                                   "healthChecks": ["global/healthChecks/hello-health"],
                                   "connectionDraining": {"drainingTimeoutSec": 2},
                                   # GCE takes only the group's fully-qualified URL, as the manager returns it.
                                   "backends": [{"group": group["instanceGroup"]}]})
    api.insert("urlMaps", {"name": "hello", "defaultService": "global/backendServices/hello"})
    api.insert("targetHttpProxies", {"name": "hello", "urlMap": "global/urlMaps/hello"})
    api.insert("forwardingRules", {"name": "hello", "target": "global/targetHttpProxies/hello",
                                   "IPAddress": "127.0.0.1", "portRange": str(port)})


def wait_for_version(api: API, template: str, size: int, timeout: float = 900):
    """Until the group is stable with `size` RUNNING, HEALTHY instances of `template`."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        group = api.call("GET", f"{COMPUTE}/zones/{ZONE}/instanceGroupManagers/hello")
        members = api.call("POST", f"{COMPUTE}/zones/{ZONE}/instanceGroupManagers/hello/listManagedInstances").get("managedInstances", [])
        ready = [m for m in members if m.get("instanceStatus") == "RUNNING" and m["version"]["instanceTemplate"].endswith(template)
                 and [h for h in m.get("instanceHealth", []) if h.get("detailedHealthState") == "HEALTHY"]]
        line = ", ".join(f"{m['instance'].rsplit('/', 1)[-1]} {m['version']['instanceTemplate'].rsplit('/', 1)[-1]} "
                         f"{m.get('instanceStatus', '?')} {m.get('currentAction', '?')}" for m in members)
        if line != last:
            log(f"    {line}")
            last = line
        if group["status"]["isStable"] and group["status"]["versionTarget"]["isReached"] and len(ready) == size == len(members):
            return
        time.sleep(1)
    sys.exit(f"demo: the group did not settle on {template} within {timeout:.0f} s")


def wait_for_balancer(port: int):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit("demo: the load balancer did not answer within 60 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sortie")
    parser.add_argument("--guest", default=os.path.join(REPO, ".build", "guests", "linux"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--size", type=int, default=2)
    parser.add_argument("--max-surge", type=int, default=1)
    parser.add_argument("--max-unavailable", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    global JSON_OUTPUT
    JSON_OUTPUT = args.json
    if args.size < 1 or args.max_surge < 0 or args.max_unavailable < 0 or args.max_surge + args.max_unavailable == 0:
        sys.exit("demo: --size must be at least 1, and --max-surge and --max-unavailable may not both be 0")
    sortie = args.sortie or next((p for p in (os.path.join(REPO, ".build", "release", "sortie"),
                                              os.path.join(REPO, ".build", "debug", "sortie")) if os.access(p, os.X_OK)), None)
    if not sortie:
        sys.exit("demo: no sortie binary; build it (swift build) or pass --sortie PATH")
    if not os.path.exists(os.path.join(args.guest, "vmlinuz")):
        sys.exit(f"demo: no micro-VM in {args.guest}; build it with scripts/build-guests")
    port = args.port or free_port()
    root = tempfile.mkdtemp(prefix="sortie-demo-")
    steps = Steps()
    plane = Plane(sortie, root)
    try:
        archives = steps.run("Building images of hello-microvm v1 and v2 (sortie image build)", build_images, sortie, args.guest, root)
        api = steps.run("Starting sortie serve (the local Compute Engine) on loopback", plane.start)
        templates = steps.run("Uploading, registering images, creating templates", register, api, archives)
        steps.run(f"Creating a group of {args.size} on v1 behind a load balancer on 127.0.0.1:{port}", create_service,
                  api, templates["1"], port, args.size, args.max_surge, args.max_unavailable)
        steps.run(f"Waiting for {args.size} healthy instances of v1", wait_for_version, api, templates["1"], args.size)
        steps.run("Waiting for the load balancer", wait_for_balancer, port)
        with Load(port) as load:
            time.sleep(2)

            def rollout():
                group = api.call("GET", f"{COMPUTE}/zones/{ZONE}/instanceGroupManagers/hello")
                api.wait(api.call("PATCH", f"{COMPUTE}/zones/{ZONE}/instanceGroupManagers/hello", {
                    "fingerprint": group["fingerprint"], "versions": [{"name": "v2", "instanceTemplate": templates["2"]}]}))
                wait_for_version(api, templates["2"], args.size)

            steps.run(f"Rolling out v2 (surge {args.max_surge}, unavailable {args.max_unavailable}) while requests run", rollout)
            time.sleep(2)
        answers = []
        for _ in range(4):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/")
            answers.append(conn.getresponse().read().decode())
            conn.close()
        if args.json:
            print(json.dumps({"size": args.size, "maxSurge": args.max_surge, "maxUnavailable": args.max_unavailable,
                              "steps": [{"step": t, "seconds": round(d, 3)} for t, d in steps.done],
                              "requests": load.total, "failed": len(load.failures), "versions": load.versions,
                              "failures": load.failures[:20], "answering": sorted(set(answers))}))
        log("\nSummary")
        for title, seconds in steps.done:
            log(f"  {seconds:6.1f} s  {title}")
        versions = ", ".join(f"v{v}: {n}" for v, n in sorted(load.versions.items()))
        log(f"  requests during the rollout: {load.total} ({versions}), failed: {len(load.failures)}")
        for failure in load.failures[:5]:
            log(f"    {failure}")
        log(f"  now answering at http://127.0.0.1:{port}/: {sorted(set(answers))}")
        if args.keep:
            log(f"\nThe plane keeps running (API http://127.0.0.1:{plane.port}, token in {plane.data}/token). Ctrl-C stops it.")
            try:
                plane.proc.wait()
            except KeyboardInterrupt:
                pass
        return 0 if not load.failures else 1
    finally:
        plane.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
