"""HTTP/1.1 through QEMU user networking (hostfwd): load, keep-alive, pipelining, refusals,
slow clients, many connections."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from guest import READY, Guest
from httpclient import Connection


@pytest.fixture(scope="module")
def guest(kernel):
    with Guest(kernel, "version=5") as g:
        g.wait_for(READY, timeout=30)
        yield g


def test_10000_requests_from_16_keepalive_clients_all_answered_right(guest):
    errors: list[str] = []
    counts = [0] * 16

    def client(i: int) -> None:
        c = Connection(guest.port)
        try:
            for k in range(625):
                if k % 2:
                    r = c.request("/version")
                    ok = r.status == 200 and r.body == b"5\n"
                else:
                    r = c.request("/health")
                    ok = r.status == 200 and r.body == b"ok"
                if not ok or r.headers.get("connection") != "keep-alive":
                    errors.append(repr(r))
                counts[i] += 1
        except Exception as e:  # noqa: BLE001 - every failure is reported below
            errors.append(f"client {i}: {e!r}")
        finally:
            c.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(counts) == 10_000


def test_pipelined_requests_are_answered_in_order(guest):
    c = Connection(guest.port)
    paths = ["/version", "/health", "/missing", "/", "/version?x=1"] * 8
    c.send(b"".join(f"GET {p} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for p in paths))
    got = [c.read_response() for _ in paths]
    expected = {"/version": (200, b"5\n"), "/health": (200, b"ok"), "/missing": (404, None), "/": (200, None),
                "/version?x=1": (200, b"5\n")}
    for p, r in zip(paths, got):
        status, body = expected[p]
        assert r.status == status, (p, r)
        if body is not None:
            assert r.body == body, (p, r)
    c.close()


def test_request_bodies_are_read_by_content_length(guest):
    c = Connection(guest.port)
    body = b"x" * 3000
    c.send(b"POST /health HTTP/1.1\r\nHost: t\r\nContent-Length: 3000\r\n\r\n" + body + b"GET /version HTTP/1.1\r\nHost: t\r\n\r\n")
    assert c.read_response().status == 405
    r = c.read_response()
    assert (r.status, r.body) == (200, b"5\n")
    c.close()


def test_head_has_length_but_no_body(guest):
    c = Connection(guest.port)
    r = c.request("/", method="HEAD")
    assert r.status == 200 and int(r.headers["content-length"]) > 100 and r.body == b""
    assert c.request("/health").body == b"ok"
    c.close()


@pytest.mark.parametrize("raw, status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),                  # a TLS hello
    (b"GET / HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 12x\r\n\r\n", 400),
    (b"GET /a b HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
    (b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
    (b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n", 413),
    (b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n", 431),
])
def test_malformed_and_oversize_requests_are_refused_and_closed(guest, raw, status):
    c = Connection(guest.port)
    c.send(raw)
    r = c.read_response()
    assert r.status == status, r
    assert r.headers["connection"] == "close"
    assert c.closed_by_peer()
    c.close()


def test_unknown_path_is_404_and_http10_closes(guest):
    c = Connection(guest.port)
    assert c.request("/nothing-here").status == 404
    c.send(b"GET /health HTTP/1.0\r\n\r\n")
    r = c.read_response()
    assert (r.status, r.body, r.headers["connection"]) == (200, b"ok", "close")
    assert c.closed_by_peer()
    c.close()


def test_slow_clients_do_not_block_others(guest):
    request = b"GET /version HTTP/1.1\r\nHost: slow\r\n\r\n"
    slow = [Connection(guest.port) for _ in range(8)]
    stop = threading.Event()

    def dribble() -> None:
        for i in range(len(request) - 1):
            if stop.is_set():
                return
            for c in slow:
                c.send(request[i:i + 1])
            time.sleep(0.05)

    t = threading.Thread(target=dribble)
    t.start()
    fast = Connection(guest.port)
    latencies = []
    for _ in range(200):
        started = time.monotonic()
        assert fast.request("/health").body == b"ok"
        latencies.append(time.monotonic() - started)
    t.join()
    for c in slow:
        c.send(request[-1:])
        r = c.read_response()
        assert (r.status, r.body) == (200, b"5\n")
        c.close()
    fast.close()
    latencies.sort()
    assert latencies[int(len(latencies) * 0.99)] < 0.5, latencies[-5:]


def test_an_unfinished_request_times_out_with_408(guest):
    c = Connection(guest.port, timeout=20)
    c.send(b"GET /health HTTP/1.1\r\nHost: t\r\n")
    started = time.monotonic()
    r = c.read_response()
    assert r.status == 408
    assert 9 <= time.monotonic() - started <= 15
    c.close()


def test_300_concurrent_connections(guest):
    # QEMU's forwarded listener has a backlog of 1: open one connection at a time (a request on
    # each proves QEMU accepted it), keep all open, then use them all again.
    conns = []
    for _ in range(300):
        c = Connection(guest.port, timeout=20)
        assert c.request("/health").body == b"ok"
        conns.append(c)
    for c in conns:
        c.send(b"GET /version HTTP/1.1\r\nHost: t\r\n\r\n")
    for c in conns:
        r = c.read_response()
        assert (r.status, r.body) == (200, b"5\n")
    for c in conns:
        c.close()


def test_3000_short_connections_closed_by_the_server(guest):
    # More than the 1024-entry connection table holds in TIME-WAIT: the oldest make room.
    for i in range(3000):
        c = Connection(guest.port)
        c.send(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        r = c.read_response()
        assert (r.status, r.body, r.headers["connection"]) == (200, b"ok", "close"), i
        assert c.closed_by_peer()
        c.close()


def test_burn_spins_for_the_time_asked(guest):
    c = Connection(guest.port, timeout=20)
    started = time.monotonic()
    r = c.request("/burn?ms=300")
    assert r.status == 200 and r.body == b"burned 300 ms\n"
    assert time.monotonic() - started >= 0.3
    c.close()
