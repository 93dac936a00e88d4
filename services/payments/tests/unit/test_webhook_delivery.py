"""The sandbox's real ``post``: a status for every answer, an ``OSError`` when nobody answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from payments.adapters.webhook_delivery import post


class Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes, str | None]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Recorder.received.append((self.path, body, self.headers.get("Sandbox-Signature")))
        self.send_response(200 if self.path == "/ok" else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_post_sends_the_body_and_headers_and_answers_the_status(server: str) -> None:
    Recorder.received.clear()
    assert post(f"{server}/ok", b'{"id":"evt_1"}', {"Sandbox-Signature": "t=1,v1=ab"}) == 200
    assert post(f"{server}/busy", b"{}", {}) == 503
    assert Recorder.received == [("/ok", b'{"id":"evt_1"}', "t=1,v1=ab"), ("/busy", b"{}", None)]


def test_post_raises_os_error_when_nobody_listens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OSError):
        post(f"http://127.0.0.1:{port}/webhook", b"{}", {})


def test_post_refuses_anything_but_http() -> None:
    with pytest.raises(ValueError):
        post("file:///etc/passwd", b"{}", {})
