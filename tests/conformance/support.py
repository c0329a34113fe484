"""Processes and clients for the conformance suite.

``Plane`` runs ``sortie serve`` (start, health wait, token, kill -9 + restart,
SIGTERM stop); ``Emulator`` runs gcp-storage-emulator. Both hand out Google's
client libraries pointed at them over plain http with a bearer token:

* google-cloud-storage: ``storage.Client(project=..., credentials=
  google.oauth2.credentials.Credentials(token), client_options={"api_endpoint":
  "http://127.0.0.1:PORT"})``;
* google-cloud-compute: ``compute_v1.XClient(credentials=..., transport="rest",
  client_options=ClientOptions(api_endpoint="http://127.0.0.1:PORT"))`` (the
  REST transport keeps an explicit ``http://`` scheme), plus the operation
  clients that ``ExtendedOperation.result()`` polls, which the library builds
  *without* the client options (so they would go to compute.googleapis.com);
* google-api-python-client: ``discovery.build("compute", "v1", credentials=...,
  static_discovery=True, client_options={"api_endpoint":
  "http://127.0.0.1:PORT/compute/v1/"})``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import google_crc32c
import requests

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROJECT = "sortie-conformance"
ZONE = "local1-a"
REGION = "local1"
CHUNK = 256 * 1024


def sortie_bin() -> str:
    return os.environ.get("SORTIE_BIN") or os.path.join(REPO, ".build", "debug", "sortie")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    """An RFC 1035 name: prefix + 8 hex digits."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32c_b64(data: bytes) -> str:
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def _tail(path: str, limit: int = 6000) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return "(no output file)"
    text = data[-limit:].decode("utf-8", "replace")
    return text if text.strip() else "(empty)"


def _pids_referencing(needle: str) -> list[int]:
    """Processes (other than ours) whose command line mentions ``needle``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if needle in cmd:
            pids.append(int(entry))
    return pids


def wait_for(predicate, timeout: float, interval: float = 0.5, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; returns that value."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - reported on timeout
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}{extra}")
        time.sleep(interval)


# ----------------------------------------------------------------------------
# sortie serve
# ----------------------------------------------------------------------------


class Plane:
    """One ``sortie serve`` on a loopback port with its own data dir."""

    name = "sortie"
    START_TIMEOUT = 60.0
    STOP_TIMEOUT = 15.0

    def __init__(self, root: str, binary: str | None = None, port: int | None = None, extra_args: list[str] | None = None):
        self.root = root
        self.extra_args = list(extra_args or [])
        self.binary = binary or sortie_bin()
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = os.path.join(root, "data")
        self.exchanges = os.path.join(root, "exchanges.jsonl")
        self.stdout_path = os.path.join(root, "serve.stdout.log")
        self.stderr_path = os.path.join(root, "serve.stderr.log")
        self.token: str | None = None
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        os.makedirs(self.data_dir, exist_ok=True)

    # -- process -------------------------------------------------------------
    def command(self) -> list[str]:
        return [
            self.binary, "serve",
            "--listen", f"127.0.0.1:{self.port}",
            "--data", self.data_dir,
            "--record-exchanges", self.exchanges,
        ] + self.extra_args

    def start(self) -> "Plane":
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"sortie binary not found or not executable: {self.binary} (set SORTIE_BIN or run swift build)")
        self.starts += 1
        with open(self.stderr_path, "ab") as err, open(self.stdout_path, "ab") as out:
            for f in (err, out):
                f.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
                f.flush()
            self.proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                start_new_session=True,  # its own process group: QEMU children stay findable
            )
        self._wait_ready()
        return self

    def _fail(self, why: str):
        raise RuntimeError(
            f"sortie serve {why}\ncommand: {' '.join(self.command())}\n"
            f"--- stderr ({self.stderr_path}) ---\n{_tail(self.stderr_path)}\n"
            f"--- stdout ---\n{_tail(self.stdout_path, 2000)}"
        )

    def _wait_ready(self):
        deadline = time.monotonic() + self.START_TIMEOUT
        while True:
            code = self.proc.poll()
            if code is not None:
                self._fail(f"exited with status {code} before answering GET /healthz")
            try:
                r = requests.get(self.base + "/healthz", timeout=2)
                if r.status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() >= deadline:
                self._fail(f"did not answer GET /healthz with 200 within {self.START_TIMEOUT:.0f} s")
            time.sleep(0.1)
        token_file = os.path.join(self.data_dir, "token")
        try:
            wait_for(lambda: os.path.exists(token_file) and open(token_file).read().strip(), 10, 0.1, "token file")
        except TimeoutError:
            self._fail(f"is up but wrote no token to {token_file}")
        with open(token_file) as f:
            self.token = f.read().strip()

    def kill9(self):
        """Crash the server (SIGKILL); its VMs are left to the next start to adopt."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def restart(self) -> "Plane":
        """kill -9, then start again on the same port and data dir."""
        self.kill9()
        return self.start()

    def stop(self):
        """SIGTERM, SIGKILL after 15 s; then end leftovers (QEMU) that our server started."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=self.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                sys.stderr.write(f"sortie serve ignored SIGTERM for {self.STOP_TIMEOUT:.0f} s; SIGKILL\n")
                self.proc.kill()
                self.proc.wait(timeout=30)
        leftovers = []
        try:
            os.killpg(pgid, signal.SIGKILL)
            leftovers.append(f"process group {pgid}")
        except ProcessLookupError:
            pass
        for pid in _pids_referencing(self.data_dir):
            try:
                os.kill(pid, signal.SIGKILL)
                leftovers.append(str(pid))
            except ProcessLookupError:
                pass
        if leftovers:
            sys.stderr.write(f"ended processes left by sortie serve: {', '.join(leftovers)}\n")

    # -- clients -------------------------------------------------------------
    def credentials(self, token: str | None = None):
        from google.oauth2.credentials import Credentials

        return Credentials(token or self.token)

    def session(self, token: str | None = None) -> requests.Session:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token or self.token}"
        return s

    def storage_client(self):
        from google.cloud import storage

        return storage.Client(project=PROJECT, credentials=self.credentials(), client_options={"api_endpoint": self.base})

    def compute(self) -> "Compute":
        return Compute(self.base, self.credentials())

    def discovery(self, api: str = "compute", version: str = "v1"):
        from googleapiclient import discovery

        return discovery.build(
            api, version, credentials=self.credentials(), static_discovery=True, cache_discovery=False,
            client_options={"api_endpoint": f"{self.base}/{api}/{version}/"},
        )

    def authorized_session(self):
        from google.auth.transport.requests import AuthorizedSession

        return AuthorizedSession(self.credentials())


# ----------------------------------------------------------------------------
# gcp-storage-emulator
# ----------------------------------------------------------------------------


class Emulator:
    """gcp-storage-emulator (in memory) on a loopback port; any bearer token is accepted."""

    name = "emulator"
    token = "emulator-token"
    data_dir = None

    def __init__(self, root: str):
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(root, "emulator.log")
        self.proc = None

    def start(self) -> "Emulator":
        exe = shutil.which("gcp-storage-emulator")
        cmd = ([exe] if exe else [sys.executable, "-m", "gcp_storage_emulator"]) + [
            "start", "--host=127.0.0.1", f"--port={self.port}", "--in-memory",
        ]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gcp-storage-emulator exited ({self.proc.returncode}):\n{_tail(self.log_path)}")
            try:
                if requests.get(self.base + "/", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() >= deadline:
                raise RuntimeError(f"gcp-storage-emulator did not come up:\n{_tail(self.log_path)}")
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    credentials = Plane.credentials
    session = Plane.session
    storage_client = Plane.storage_client
    authorized_session = Plane.authorized_session


# ----------------------------------------------------------------------------
# google-cloud-compute
# ----------------------------------------------------------------------------


class Compute:
    """google-cloud-compute REST clients for one endpoint, and operation waits."""

    def __init__(self, base: str, credentials):
        from google.api_core.client_options import ClientOptions
        from google.cloud import compute_v1

        self.base = base
        self.credentials = credentials
        self.options = ClientOptions(api_endpoint=base)
        self.v1 = compute_v1
        self.global_operations = self._plain(compute_v1.GlobalOperationsClient)
        self.zone_operations = self._plain(compute_v1.ZoneOperationsClient)
        self.region_operations = self._plain(compute_v1.RegionOperationsClient)
        self.images = self.client(compute_v1.ImagesClient)
        self.instance_templates = self.client(compute_v1.InstanceTemplatesClient)
        self.instances = self.client(compute_v1.InstancesClient)
        self.zones = self.client(compute_v1.ZonesClient)
        self.regions = self.client(compute_v1.RegionsClient)
        self.machine_types = self.client(compute_v1.MachineTypesClient)
        self.networks = self.client(compute_v1.NetworksClient)
        self.firewalls = self.client(compute_v1.FirewallsClient)
        self.health_checks = self.client(compute_v1.HealthChecksClient)
        self.groups = self.client(compute_v1.InstanceGroupManagersClient)
        self.autoscalers = self.client(compute_v1.AutoscalersClient)
        self.backend_services = self.client(compute_v1.BackendServicesClient)
        self.url_maps = self.client(compute_v1.UrlMapsClient)
        self.http_proxies = self.client(compute_v1.TargetHttpProxiesClient)
        self.forwarding_rules = self.client(compute_v1.GlobalForwardingRulesClient)

    def _plain(self, cls):
        return cls(credentials=self.credentials, client_options=self.options, transport="rest")

    def client(self, cls):
        c = self._plain(cls)
        # ExtendedOperation.result() polls with operation clients that the library
        # creates without our client_options; hand it ours (read-only services,
        # such as zones, have none).
        services = getattr(c._transport, "_extended_operations_services", None)
        if services is not None:
            services.update(
                global_operations=self.global_operations,
                zone_operations=self.zone_operations,
                region_operations=self.region_operations,
            )
        return c

    def wait(self, op, timeout: float = 300.0):
        """Wait for an Operation (proto or ExtendedOperation) with the scope's ``wait``
        method until DONE; returns the final compute_v1.Operation."""
        raw = getattr(op, "_extended_operation", op)
        name = raw.name
        zone = raw.zone.rsplit("/", 1)[-1] if raw.zone else None
        region = raw.region.rsplit("/", 1)[-1] if raw.region else None
        deadline = time.monotonic() + timeout
        while True:
            if raw.status == self.v1.Operation.Status.DONE:
                return raw
            if time.monotonic() >= deadline:
                raise TimeoutError(f"operation {name} not DONE after {timeout:.0f} s: {raw}")
            if zone:
                raw = self.zone_operations.wait(project=PROJECT, zone=zone, operation=name, timeout=150)
            elif region:
                raw = self.region_operations.wait(project=PROJECT, region=region, operation=name, timeout=150)
            else:
                raw = self.global_operations.wait(project=PROJECT, operation=name, timeout=150)

    def wait_ok(self, op, timeout: float = 300.0):
        done = self.wait(op, timeout)
        errors = list(done.error.errors) if done.error else []
        assert not errors, f"operation {done.name} ({done.operation_type} {done.target_link}) failed: {errors}"
        return done


# ----------------------------------------------------------------------------
# Resumable uploads (google-resumable-media)
# ----------------------------------------------------------------------------


def resumable_upload_url(base: str, bucket: str) -> str:
    return f"{base}/upload/storage/v1/b/{bucket}/o?uploadType=resumable"


def attach_resumable(session_url: str, stream, total_bytes: int, content_type: str, chunk_size: int = CHUNK):
    """A fresh google.resumable_media ResumableUpload bound to an existing session URL,
    as a process that lost its upload object would rebuild it. The library has no
    public way to adopt a session URL, so this sets the fields initiate() sets."""
    from google.resumable_media.requests import ResumableUpload

    up = ResumableUpload(session_url, chunk_size)
    up._resumable_url = session_url
    up._stream = stream
    up._content_type = content_type
    up._total_bytes = total_bytes
    up._invalid = True  # transmit_next_chunk refuses until recover() asked the server
    return up
