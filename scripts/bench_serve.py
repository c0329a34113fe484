"""scripts/bench serve: the local control plane's REST API, sortie serve against gcp-storage-emulator.

Starts `sortie serve` (release build, fresh temp data dir) and gcp-storage-emulator (in memory),
each on a free loopback port, and measures, in the same run:
  - API latency: CLIENTS threads, each with its own keep-alive http.client connection, share
    REQUESTS requests per operation (stopping after SECONDS regardless), after a short warm-up:
      Compute (sortie only): get a firewall, list 50 firewalls, insert a firewall (unique name);
      Storage (both servers): get a bucket, list a bucket of 50 small objects, insert a 1 KiB
      object (uploadType=media, unique name, into another bucket).
    Requests/s counts successful requests over the wall time of the operation; p50 and p99 are
    of successful requests; an error is a non-2xx status or a failed connection. Server CPU is
    the server process's user+system time over the operation, divided by its successful requests.
  - Resumable upload of a 64 MiB object (os.urandom, generated once) in 8 MiB chunks: from the
    POST that opens the session to the final 200, median of UPLOAD_RUNS; md5Hash of the final
    object JSON checked against the local MD5.
The load generator runs on the same machine (Python, under the GIL), so on few cores it competes
with the server for CPU: compare the two servers with each other, not with absolute figures.
"""
import base64
import collections
import hashlib
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from importlib import metadata

SORTIE = sys.argv[1]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "100"))
UPLOAD_RUNS = int(os.environ.get("BENCH_RUNS", "3"))
UPLOAD_SIZE = 64 * 1024 * 1024
CHUNK = 8 * 1024 * 1024
LIST_ITEMS = 50
SMALL_OBJECT = 1024
PROJECT = "bench"
ZONE = "local1-a"
HOST = "127.0.0.1"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUIREMENTS = os.path.join(REPO, "tests", "conformance", "requirements.txt")
EMULATOR_PACKAGE = "gcp-storage-emulator"
TICK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tail(path, limit=4000):
    try:
        return open(path, "rb").read()[-limit:].decode("utf-8", "replace")
    except OSError:
        return "(no log)"


def cpu_seconds(pid):
    """User + system CPU time of a process so far (its own threads, not its children)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ensure_emulator():
    """Installs gcp-storage-emulator with pip if missing (the conformance suite's pin, if any)."""
    try:
        return metadata.version(EMULATOR_PACKAGE)
    except metadata.PackageNotFoundError:
        pass
    spec = EMULATOR_PACKAGE
    if os.path.exists(REQUIREMENTS):
        for line in open(REQUIREMENTS):
            line = line.split("#", 1)[0].strip()
            if line.partition("==")[0].strip().lower() == EMULATOR_PACKAGE:
                spec = line
    print(f"bench serve: installing {spec} with pip", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--root-user-action=ignore", spec], check=True)
    return metadata.version(EMULATOR_PACKAGE)


class Server:
    """A child process on a loopback port; stop() is SIGTERM, then SIGKILL after 15 s."""

    def __init__(self, name, argv, port, log):
        self.name, self.argv, self.port, self.log = name, argv, port, log
        self.proc = None

    def start(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)

    def wait_ready(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self.proc.returncode} before it was ready:\n{tail(self.log)}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", path)
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise RuntimeError(f"{self.name} did not answer GET {path} within {timeout:.0f} s:\n{tail(self.log)}")
            time.sleep(0.1)

    def check_alive(self, during):
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} died (status {self.proc.returncode}) during {during}:\n{tail(self.log)}")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            print(f"bench serve: {self.name} ignored SIGTERM for 15 s; SIGKILL", file=sys.stderr)
            self.proc.kill()
            self.proc.wait(timeout=30)


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------

class Target:
    """One server's API: a port and the headers every request carries."""

    def __init__(self, name, server, token):
        self.name, self.server = name, server
        self.headers = {"Authorization": f"Bearer {token}"}

    def connect(self):
        return http.client.HTTPConnection(HOST, self.server.port, timeout=60)

    def call(self, method, path, body=None, headers=None, conn=None, expect=(200,)):
        """One request on a fresh (or given) connection; returns (status, headers, body bytes)."""
        own = conn is None
        conn = conn or self.connect()
        try:
            conn.request(method, path, body=body, headers={**self.headers, **(headers or {})})
            r = conn.getresponse()
            data = r.read()
            if r.status not in expect:
                raise RuntimeError(f"{self.name}: {method} {path} -> {r.status}: {data[:500]!r}")
            return r.status, r.headers, data
        finally:
            if own:
                conn.close()

    def json(self, method, path, payload=None, expect=(200,)):
        body = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        return json.loads(self.call(method, path, body, headers, expect=expect)[2] or b"{}")


def percentile(ordered, q):
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load(target, make, count=REQUESTS, clients=CLIENTS, limit=SECONDS):
    """CLIENTS threads with one keep-alive connection each share `count` requests `make(i)` ->
    (method, path, body, headers). Returns a dict of the figures and up to 3 sample errors."""
    counter = itertools.count()  # next() on it is atomic under the GIL
    latencies, errors, samples = [], collections.Counter(), []
    lock = threading.Lock()
    stop_at = time.monotonic() + limit

    def worker():
        conn, mine = target.connect(), []
        while True:
            i = next(counter)
            if i >= count or time.monotonic() >= stop_at:
                break
            method, path, body, headers = make(i)
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers={**target.headers, **headers})
                r = conn.getresponse()
                data = r.read()
                elapsed = time.perf_counter() - start
                if 200 <= r.status < 300:
                    mine.append(elapsed)
                    continue
                why = f"HTTP {r.status}"
                detail = f"{method} {path} -> {r.status} after {elapsed * 1000:.0f} ms: {data[:300]!r}"
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = target.connect()
                why = type(e).__name__
                detail = f"{method} {path} -> {e!r} after {(time.perf_counter() - start) * 1000:.0f} ms"
            with lock:
                errors[why] += 1
                if len(samples) < 3:
                    samples.append(detail)
        conn.close()
        with lock:
            latencies.extend(mine)

    cpu0, client0 = cpu_seconds(target.server.proc.pid), time.process_time()
    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    cpu = cpu_seconds(target.server.proc.pid) - cpu0
    client_cpu = time.process_time() - client0
    latencies.sort()
    ok = len(latencies)
    return {
        "ok": ok, "wall": wall, "rps": ok / wall, "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000, "max": (latencies[-1] * 1000) if latencies else float("nan"),
        "errors": sum(errors.values()), "kinds": dict(errors), "samples": samples,
        "cpu_us": cpu / max(ok, 1) * 1e6, "client_cpu_us": client_cpu / max(ok, 1) * 1e6,
        "cut": ok + sum(errors.values()) < count,
    }


def measure(target, make, warm_make):
    load(target, warm_make, count=WARMUP)
    result = load(target, make)
    target.server.check_alive("the API benchmark")
    return result


# ---------------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------------

def firewall_body(name):
    return json.dumps({"name": name, "allowed": [{"IPProtocol": "tcp", "ports": ["80"]}]}).encode()


def compute_ops(t):
    base = f"/compute/v1/projects/{PROJECT}/global/firewalls"
    json_headers = {"Content-Type": "application/json"}
    for i in range(LIST_ITEMS):
        t.json("POST", base, json.loads(firewall_body(f"fw-{i}")))
    listed = t.json("GET", base)
    assert len(listed.get("items", [])) == LIST_ITEMS, f"firewall list has {len(listed.get('items', []))} items"

    def get(i):
        return "GET", f"{base}/fw-{i % LIST_ITEMS}", None, {}

    def lst(i):
        return "GET", base, None, {}

    def insert(prefix):
        return lambda i: ("POST", base, firewall_body(f"{prefix}-{i}"), json_headers)

    return [
        ("get", f"GET …/global/firewalls/fw-N", measure(t, get, get)),
        ("list", f"GET …/global/firewalls ({LIST_ITEMS} items)", measure(t, lst, lst)),
        ("insert", "POST …/global/firewalls", measure(t, insert("fw-bench"), insert("fw-warm"))),
    ]


def storage_ops(t):
    listed_bucket, insert_bucket = "bench-list", "bench-insert"
    for b in (listed_bucket, insert_bucket):
        t.json("POST", f"/storage/v1/b?project={PROJECT}", {"name": b})
    small = os.urandom(SMALL_OBJECT)
    octet = {"Content-Type": "application/octet-stream"}
    for i in range(LIST_ITEMS):
        t.call("POST", f"/upload/storage/v1/b/{listed_bucket}/o?uploadType=media&name=obj-{i}", small, octet)
    listed = t.json("GET", f"/storage/v1/b/{listed_bucket}/o")
    assert len(listed.get("items", [])) == LIST_ITEMS, f"{t.name}: object list has {len(listed.get('items', []))} items"

    def get(i):
        return "GET", f"/storage/v1/b/{listed_bucket}", None, {}

    def lst(i):
        return "GET", f"/storage/v1/b/{listed_bucket}/o", None, {}

    def insert(prefix):
        return lambda i: ("POST", f"/upload/storage/v1/b/{insert_bucket}/o?uploadType=media&name={prefix}-{i}", small, octet)

    return {
        "get": ("GET /storage/v1/b/B", measure(t, get, get)),
        "list": (f"GET /storage/v1/b/B/o ({LIST_ITEMS} objects)", measure(t, lst, lst)),
        "insert": (f"POST /upload/…/o?uploadType=media ({SMALL_OBJECT // 1024} KiB)", measure(t, insert("obj-bench"), insert("obj-warm"))),
    }


def resumable_upload(t, bucket, name, data):
    """Seconds from opening the session to the final response, and the final object JSON."""
    conn = t.connect()
    try:
        start = time.perf_counter()
        _, headers, _ = t.call("POST", f"/upload/storage/v1/b/{bucket}/o?uploadType=resumable&name={name}",
                               json.dumps({"name": name}).encode(),
                               {"Content-Type": "application/json", "X-Upload-Content-Type": "application/octet-stream",
                                "X-Upload-Content-Length": str(len(data))}, conn=conn)
        location = urllib.parse.urlsplit(headers["Location"])
        if location.hostname not in (HOST, "localhost") or (location.port or 80) != t.server.port:
            raise RuntimeError(f"{t.name}: resumable Location {headers['Location']} is not this loopback server")
        session = location.path + "?" + location.query
        total = len(data)
        for offset in range(0, total, CHUNK):
            end = min(offset + CHUNK, total) - 1
            last = end == total - 1
            status, _, body = t.call("PUT", session, data[offset:end + 1],
                                     {"Content-Range": f"bytes {offset}-{end}/{total}"}, conn=conn,
                                     expect=(200, 201) if last else (308,))
        elapsed = time.perf_counter() - start
        return elapsed, json.loads(body)
    finally:
        conn.close()


def uploads(t, data, md5):
    bucket = "bench-upload"
    t.json("POST", f"/storage/v1/b?project={PROJECT}", {"name": bucket})
    times, cpus, matches, seen = [], [], True, set()
    for run in range(UPLOAD_RUNS):
        cpu0 = cpu_seconds(t.server.proc.pid)
        elapsed, obj = resumable_upload(t, bucket, f"big-{run}", data)
        cpus.append(cpu_seconds(t.server.proc.pid) - cpu0)
        times.append(elapsed)
        seen.add(obj.get("md5Hash"))
        matches = matches and obj.get("md5Hash") == md5 and int(obj.get("size", -1)) == len(data)
        t.server.check_alive("the upload benchmark")
    return {"mbps": len(data) / statistics.median(times) / 1e6, "times": times,
            "cpu": statistics.median(cpus), "md5": matches, "seen": seen}


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def ms(v):
    return f"{v:.1f} ms" if v < 10 else f"{v:.0f} ms"


def errors_cell(r):
    if not r["errors"]:
        return "0"
    kinds = ", ".join(f"{n} {k}" for k, n in r["kinds"].items())
    return f"**{r['errors']}** ({kinds})"


def count_cell(r):
    return f"{r['ok']:,}" + (f" (cut at {SECONDS:.0f} s)" if r["cut"] else "")


def rate_cell(r):
    return f"{r['rps']:,.0f}" + (f" (only {r['ok']:,} in {SECONDS:.0f} s)" if r["cut"] else "")


def main():
    emulator_version = ensure_emulator()
    load_before = os.getloadavg()[0]
    work = tempfile.mkdtemp(prefix="sortie-bench-serve-")
    keep = os.environ.get("BENCH_KEEP") == "1"
    servers = []
    try:
        sortie_port, emulator_port = free_port(), free_port()
        data_dir = os.path.join(work, "data")
        sortie = Server("sortie serve", [SORTIE, "serve", "--listen", f"{HOST}:{sortie_port}", "--data", data_dir,
                                         "--accel", "tcg"], sortie_port, os.path.join(work, "sortie.log"))
        exe = shutil.which("gcp-storage-emulator")
        emulator = Server("gcp-storage-emulator",
                          ([exe] if exe else [sys.executable, "-m", "gcp_storage_emulator"]) +
                          ["start", f"--host={HOST}", f"--port={emulator_port}", "--in-memory", "--quiet"],
                          emulator_port, os.path.join(work, "emulator.log"))
        servers = [sortie, emulator]
        for s in servers:
            s.start()
        sortie.wait_ready("/healthz")
        emulator.wait_ready("/")
        token_file = os.path.join(data_dir, "token")
        deadline = time.monotonic() + 10
        while not (os.path.exists(token_file) and open(token_file).read().strip()):
            if time.monotonic() >= deadline:
                raise RuntimeError(f"sortie serve wrote no token to {token_file}")
            time.sleep(0.1)
        s_api = Target("sortie serve", sortie, open(token_file).read().strip())
        e_api = Target("gcp-storage-emulator", emulator, "bench-token")  # the emulator accepts any token

        compute = compute_ops(s_api)
        s_storage = storage_ops(s_api)
        e_storage = storage_ops(e_api)

        data = os.urandom(UPLOAD_SIZE)
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        s_up = uploads(s_api, data, md5)
        e_up = uploads(e_api, data, md5)
        s_rss, e_rss = peak_rss_mb(sortie.proc.pid), peak_rss_mb(emulator.proc.pid)
    finally:
        for s in servers:
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001 - stop the other one regardless
                print(f"bench serve: stopping {s.name}: {e!r}", file=sys.stderr)
        if keep:
            print(f"bench serve: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f"scripts/bench serve: {os.cpu_count()} cores (load average {load_before:.1f} before the run, "
          f"{os.getloadavg()[0]:.1f} after), loopback HTTP/1.1; {CLIENTS} client threads with one "
          f"keep-alive connection each (Python http.client, on the same machine), {REQUESTS:,} requests per "
          f"operation (at most {SECONDS:.0f} s) after {WARMUP} warm-up requests; sortie serve (release, "
          f"SQLite in a fresh data dir) against gcp-storage-emulator {emulator_version} (in memory)\n")

    print("Compute Engine API, sortie serve:\n")
    print("| operation | request | requests | requests/s | p50 | p99 | max | errors | server CPU per request |")
    print("|---|---|---|---|---|---|---|---|---|")
    for op, request, r in compute:
        print(f"| {op} | {request} | {count_cell(r)} | {r['rps']:,.0f} | {ms(r['p50'])} | {ms(r['p99'])} | "
              f"{ms(r['max'])} | {errors_cell(r)} | {r['cpu_us']:,.0f} µs |")

    print("\nCloud Storage API, the same requests to both servers:\n")
    print("| operation | request | Sortie requests/s | Sortie p50 | Sortie p99 | Sortie errors | Sortie CPU per request | "
          "emulator requests/s | emulator p50 | emulator p99 | emulator errors | emulator CPU per request | "
          "requests/s ratio Sortie/emulator |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for op in ("get", "list", "insert"):
        request, s = s_storage[op]
        _, e = e_storage[op]
        ratio = s["rps"] / e["rps"] if e["rps"] else float("inf")
        print(f"| {op} | {request} | {rate_cell(s)} | {ms(s['p50'])} | {ms(s['p99'])} | {errors_cell(s)} | "
              f"{s['cpu_us']:,.0f} µs | {rate_cell(e)} | {ms(e['p50'])} | {ms(e['p99'])} | {errors_cell(e)} | "
              f"{e['cpu_us']:,.0f} µs | {ratio:.2f} |")

    print(f"\nResumable upload, {UPLOAD_SIZE // (1024 * 1024)} MiB of random bytes in {CHUNK // (1024 * 1024)} MiB chunks "
          f"on one connection (POST to final 200), median of {UPLOAD_RUNS}:\n")
    print("| server | MB/s | runs | server CPU per upload | md5Hash matches | server peak RSS (whole run) |")
    print("|---|---|---|---|---|---|")
    for name, u, rss in (("sortie serve", s_up, s_rss), (f"gcp-storage-emulator", e_up, e_rss)):
        runs = ", ".join(f"{t:.2f} s" for t in u["times"])
        print(f"| {name} | {u['mbps']:.0f} | {runs} | {u['cpu']:.2f} s | "
              f"{'yes' if u['md5'] else 'NO (' + ', '.join(map(str, u['seen'])) + ')'} | {rss:.0f} MB |")
    print(f"\nMB/s is 10^6 bytes per second. The emulator answers HTTP/1.0 and closes every connection, so its "
          f"clients reconnect for each request; it serves one request at a time.")

    samples = [(f"sortie serve compute {op}", r) for op, _, r in compute]
    samples += [(f"sortie serve storage {op}", s_storage[op][1]) for op in s_storage]
    samples += [(f"gcp-storage-emulator storage {op}", e_storage[op][1]) for op in e_storage]
    failed = [(label, r) for label, r in samples if r["samples"]]
    if failed:
        print("\nErrors (first 3 per operation):")
        for label, r in failed:
            for detail in r["samples"]:
                print(f"- {label}: {detail}")
    client = max(r["client_cpu_us"] for _, r in samples)
    print(f"\nBenchmark client CPU: up to {client:,.0f} µs per request (all its threads).")


if __name__ == "__main__":
    main()
