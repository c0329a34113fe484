"""scripts/bench lb: Sortie's load balancer against HAProxy, on the same fast native backends.

Backends: one nginx (2 worker processes) serving a small static body on two loopback ports, i.e.
two backends; not QEMU guests, which serve ~175 requests/s and would only measure themselves.
In front of them, configured alike (HTTP/1.1 keep-alive to clients and backends, round-robin or
least-outstanding balancing, X-Forwarded-For/-Proto and Via added, 1 s connect timeout, 2 retries):
  - sortie-lb-bench: Sortie's ReverseProxy on one event loop per core;
  - HAProxy (Debian) in http mode, nbthread 2, `http-reuse always`, `option http-keep-alive`;
  - and the backend directly, for reference.
wrk runs 10 s per cell at 1, 16, 128 and 512 connections (2 threads; 1 thread for 1 connection, as wrk
needs a connection per thread), targets interleaved, in BENCH_ROUNDS rounds (median reported).
Everything shares the same cores, so absolute numbers are lower than on separate machines and
move with whatever else runs on the host; the ratio, and the proxies' CPU time per request (read
from /proc, hardly sensitive to that noise), are the point.

Usage: scripts/bench lb  (or python3 scripts/bench_lb.py PATH/TO/sortie-lb-bench)
The table also gives each proxy's CPU time per request and its peak resident memory (VmHWM) over
the whole run.

Environment: BENCH_DURATION (seconds per cell, default 10), BENCH_CONNECTIONS (default
"1,16,128,512"), BENCH_ROUNDS (default 3).
"""
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SORTIE = sys.argv[1] if len(sys.argv) > 1 else None
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "1,16,128,512").split(",")]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BODY = "hello from backend %s\n"  # about 21 bytes, like a small health or API answer


def ensure_tools():
    missing = [pkg for tool, pkg in (("haproxy", "haproxy"), ("wrk", "wrk"), ("nginx", "nginx"))
               if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool)]
    if not missing:
        return
    print("installing from Debian: " + " ".join(missing), file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
                   check=True, env=env, stdout=subprocess.DEVNULL)


def tool(name):
    return shutil.which(name) or "/usr/sbin/" + name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what, limit=10.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} is not listening on {port} after {limit} s")


def start_nginx(work, ports):
    servers = "".join(f"""
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{ return 200 "{BODY % name}"; }}
    }}""" for name, port in zip("AB", ports))
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type text/plain;
    keepalive_timeout 65s;
    keepalive_requests 1000000;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    {servers}
}}
""")
    proc = subprocess.Popen([tool("nginx"), "-c", conf, "-p", work, "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for port in ports:
        wait_listening(port, proc, "nginx")
    return proc


def start_haproxy(work, port, backends):
    conf = os.path.join(work, "haproxy.cfg")
    servers = "\n".join(f"    server b{i} 127.0.0.1:{p}" for i, p in enumerate(backends))
    with open(conf, "w") as f:
        f.write(f"""
global
    nbthread 2
    maxconn 4096

defaults
    mode http
    timeout connect 1s
    timeout client 610s
    timeout server 30s
    timeout http-keep-alive 610s
    option http-keep-alive
    http-reuse always
    retries 2
    option redispatch

frontend fe
    bind 127.0.0.1:{port}
    option forwardfor
    http-request set-header X-Forwarded-Proto http
    http-request add-header Via "1.1 haproxy"
    http-response add-header Via "1.1 haproxy"
    default_backend be

backend be
    balance roundrobin
{servers}
""")
    proc = subprocess.Popen([tool("haproxy"), "-f", conf, "-db"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_listening(port, proc, "haproxy")
    return proc


def start_sortie(port, backends):
    argv = [SORTIE, "--port", str(port)] + [f"127.0.0.1:{p}" for p in backends]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening"):
        raise SystemExit(f"sortie-lb-bench did not start: {line!r}")
    wait_listening(port, proc, "sortie-lb-bench")
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(port, connections, duration):
    threads = min(2, connections)
    out = subprocess.run([tool("wrk"), f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
                          f"http://127.0.0.1:{port}/"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}


def cpu_seconds(pid):
    """User + system CPU time of a process and its children so far (nginx: master + workers)."""
    pids = [pid]
    try:
        pids += [int(p) for p in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        pass
    total = 0
    for p in pids:
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def measure(port, proc, connections, duration):
    before = cpu_seconds(proc.pid)
    r = wrk(port, connections, duration)
    r["cpu_us"] = (cpu_seconds(proc.pid) - before) / max(r["rps"] * duration, 1) * 1e6
    return r


def peak_rss_mib(pid):
    """The process's peak resident set (VmHWM), in MiB."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def median_result(runs):
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "cpu_us": statistics.median(r["cpu_us"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
    }


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}); wrk, the proxy and nginx share them"


def version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


def main():
    if not SORTIE:
        raise SystemExit("usage: bench_lb.py PATH/TO/sortie-lb-bench")
    ensure_tools()
    # 512 clients and as many backend connections need more descriptors than the usual 1024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    work = tempfile.mkdtemp(prefix="sortie-bench-lb-")
    backends = [free_port(), free_port()]
    procs = []
    try:
        procs.append(start_nginx(work, backends))
        sortie_port, haproxy_port = free_port(), free_port()
        sortie = start_sortie(sortie_port, backends)
        procs.append(sortie)
        procs.append(start_haproxy(work, haproxy_port, backends))
        haproxy = procs[-1]
        targets = [("Sortie", sortie_port, sortie), ("HAProxy", haproxy_port, haproxy),
                   ("direct", backends[0], procs[0])]
        for _, port, _ in targets:  # warm up: connections, pools, caches
            wrk(port, 16, 2)
        runs = {}
        for round_ in range(ROUNDS):
            for connections in CONNECTIONS:
                for name, port, proc in targets:
                    r = measure(port, proc, connections, DURATION)
                    runs.setdefault((name, connections), []).append(r)
                    print(f"  round {round_ + 1} {name:8} c={connections:<4} {r['rps']:>9.0f} req/s  "
                          f"p50 {r['p50']:.3f} ms  p99 {r['p99']:.3f} ms  cpu {r['cpu_us']:.1f} us/req  "
                          f"errors {r['errors']}", file=sys.stderr)
        results = {key: median_result(value) for key, value in runs.items()}
        rss = {"Sortie": peak_rss_mib(sortie.pid), "HAProxy": peak_rss_mib(haproxy.pid)}
        stop(sortie)
        sortie_summary = sortie.stdout.read().strip()
    finally:
        for proc in reversed(procs):
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)

    print(f"Load balancer: GET / (21-byte body) through each proxy to 2 nginx backends on loopback; "
          f"wrk {DURATION} s per cell, median of {ROUNDS} interleaved rounds")
    print(f"Machine: {machine()}")
    print(f"Versions: {version([tool('haproxy'), '-v'])}; {version([tool('nginx'), '-v'])}; "
          f"{version([tool('wrk'), '-v'])}")
    print()
    print("| connections | Sortie req/s | HAProxy req/s | Sortie/HAProxy | Sortie p50 / p99 ms "
          "| HAProxy p50 / p99 ms | CPU us/req Sortie / HAProxy | direct req/s | direct p50 / p99 ms "
          "| errors S/H/D |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in CONNECTIONS:
        s, h, d = results[("Sortie", c)], results[("HAProxy", c)], results[("direct", c)]
        print(f"| {c} | {s['rps']:,.0f} | {h['rps']:,.0f} | {s['rps'] / h['rps']:.2f} "
              f"| {s['p50']:.3f} / {s['p99']:.3f} | {h['p50']:.3f} / {h['p99']:.3f} "
              f"| {s['cpu_us']:.0f} / {h['cpu_us']:.0f} "
              f"| {d['rps']:,.0f} | {d['p50']:.3f} / {d['p99']:.3f} "
              f"| {s['errors']}/{h['errors']}/{d['errors']} |")
    print()
    print(f"Peak resident memory over the run: Sortie {rss['Sortie']:.1f} MiB, HAProxy {rss['HAProxy']:.1f} MiB.")
    print("CPU us/req: the proxy process's user+system time over the requests it served (the direct "
          "column's nginx time is not shown).")
    print(f"Sortie's own counters: {sortie_summary}")


if __name__ == "__main__":
    main()
