"""A tiny HTTP/1.1 client over raw sockets, to test keep-alive, pipelining and refusals exactly."""
from __future__ import annotations

import socket


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.headers}, {self.body[:60]!r})"


class Connection:
    def __init__(self, port: int, timeout: float = 10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_response(self, head: bool = False) -> Response:
        line = self.file.readline()
        if not line:
            raise ConnectionError("closed before a response")
        parts = line.decode("latin-1").split(" ", 2)
        assert parts[0] == "HTTP/1.1", line
        headers = {}
        while True:
            h = self.file.readline()
            if h in (b"\r\n", b""):
                break
            k, v = h.decode("latin-1").split(":", 1)
            headers[k.strip().lower()] = v.strip()
        n = 0 if head else int(headers.get("content-length", "0"))
        body = self.file.read(n) if n else b""
        return Response(int(parts[1]), headers, body)

    def request(self, path: str, method: str = "GET", extra: str = "") -> Response:
        self.send(f"{method} {path} HTTP/1.1\r\nHost: test\r\n{extra}\r\n".encode())
        return self.read_response(head=method == "HEAD")

    def closed_by_peer(self) -> bool:
        """Whether the server closed the connection (reads EOF)."""
        try:
            return self.file.read(1) == b""
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self) -> None:
        self.file.close()
        self.sock.close()
