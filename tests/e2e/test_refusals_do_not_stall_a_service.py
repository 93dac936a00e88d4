"""A refusal answered before the request body is read must not leave a gunicorn thread waiting on the
kept-alive connection: clients that send their body a moment after the headers (as urllib3 does) and
then keep the connection idle in their pool would otherwise stall a web process with a handful of
connections (its threads), health checks included.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.parse

import httpx
from stack import Stack

#: More connections than a web process has threads (2 workers x 8 threads).
CONNECTIONS = 40
BODY = json.dumps({"filename": "a.pdf", "size": 1, "sha256": "0" * 64}).encode()


def _refused_and_kept_open(base_url: str, path: str) -> tuple[int, list[socket.socket]]:
    """POST headers, then the body 50 ms later; read the status line; keep the connection open. How
    many were answered within 5 s each, and the open sockets (the caller closes them)."""
    address = urllib.parse.urlsplit(base_url)
    held: list[socket.socket] = []
    for _ in range(CONNECTIONS):
        connection = socket.create_connection((address.hostname, address.port), timeout=5)
        held.append(connection)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(BODY)}\r\n\r\n"
        )
        connection.sendall(head.encode())
        time.sleep(0.05)
        connection.sendall(BODY)
        try:
            status_line = connection.recv(65536).split(b"\r\n", 1)[0]
        except TimeoutError:
            break
        assert status_line.startswith(b"HTTP/1.1 401"), status_line
    else:
        return CONNECTIONS, held
    return len(held) - 1, held


def test_idle_clients_after_early_refusals_do_not_stall_filing_or_the_gateway(full_stack: Stack) -> None:
    for base_url in (full_stack.env["ICMS_FILING_URL"], full_stack.gateway):
        answered, held = _refused_and_kept_open(base_url, "/api/filing/v1/cloud/uploads")
        try:
            assert answered == CONNECTIONS
            assert httpx.get(f"{base_url}/health/live", timeout=5).status_code == 200
        finally:
            for connection in held:
                connection.close()
