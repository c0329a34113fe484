"""Memory and idle CPU: heap use does not grow over 100,000 requests; an idle guest costs
under 2% of a host core (it halts between interrupts instead of polling)."""
from __future__ import annotations

import json
import os
import threading
import time

from guest import READY, Guest
from httpclient import Connection

HEALTH = b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n"
ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n"
          b"Connection: keep-alive\r\n\r\nok")


def pipelined(port: int, total: int, clients: int = 16, batch: int = 50) -> list[str]:
    """`total` /health requests over `clients` keep-alive connections, `batch` per write."""
    errors: list[str] = []

    def client() -> None:
        c = Connection(port, timeout=float(os.environ.get("UK_TIMEOUT", "30")))
        try:
            for _ in range(total // clients // batch):
                c.send(HEALTH * batch)
                got = c.file.read(len(ANSWER) * batch)
                if got != ANSWER * batch:
                    errors.append(repr(got[:200]))
                    return
        except OSError as e:
            errors.append(repr(e))
        finally:
            c.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def heap_used(c: Connection) -> int:
    return json.loads(c.request("/stats").body)["heap_used"]


def test_heap_use_is_flat_over_100000_requests(kernel):
    with Guest(kernel, "version=9") as g:
        g.wait_for(READY, timeout=30)
        probe = Connection(g.port)
        errors = pipelined(g.port, 16_000)              # warm up: buffers and free lists reach their size
        assert errors == [], (errors, probe.request("/stats").body)
        before = heap_used(probe)
        errors = pipelined(g.port, 100_000)
        assert errors == [], (errors, probe.request("/stats").body)
        after = heap_used(probe)
        stats = json.loads(probe.request("/stats").body)
        probe.close()
        assert stats["requests"] >= 116_000
        assert after - before <= 64 * 1024, (before, after)
        assert stats["heap_capacity"] < 32 * 1024 * 1024


def test_idle_guest_uses_under_2_percent_of_a_host_core(kernel):
    with Guest(kernel, "version=9") as g:
        g.wait_for(READY, timeout=30)
        time.sleep(2)
        start_cpu, start = g.cpu_seconds(), time.monotonic()
        time.sleep(10)
        share = (g.cpu_seconds() - start_cpu) / (time.monotonic() - start)
        assert share < 0.02, f"idle guest used {share:.1%} of a core"
