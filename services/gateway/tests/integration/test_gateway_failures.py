"""When upstreams are down, slow or break off, and when bodies are too large: problem+json, never a trace."""

from __future__ import annotations

import socket
import time

import pytest
import requests
from gateway_testkit import MIB, READ_TIMEOUT, TIMEOUT, SizedBody, generated_chunks, problem


def test_upstream_down_is_502_problem(serve_gateway, upstream_urls, dead_url):
    url = serve_gateway({**upstream_urls, "payments": dead_url})

    answer = requests.post(f"{url}/api/payments/v1/orders", json={"amount_cents": 100}, timeout=TIMEOUT)

    assert answer.status_code == 502
    document = problem(answer)
    assert document["type"] == "urn:icms:problem:upstream-unavailable"
    assert "payments" in document["detail"]
    assert answer.headers["X-Request-ID"]
    # The other services are unaffected.
    assert requests.get(f"{url}/api/filing/v1/x", timeout=TIMEOUT).json()["upstream"] == "filing"


def test_slow_upstream_is_504_problem(gateway_url, upstreams):
    started = time.monotonic()
    answer = requests.get(f"{gateway_url}/api/search/slow?seconds=10", timeout=TIMEOUT)
    elapsed = time.monotonic() - started

    assert answer.status_code == 504
    assert problem(answer)["type"] == "urn:icms:problem:upstream-timeout"
    assert READ_TIMEOUT <= elapsed < READ_TIMEOUT + 3


def test_declared_body_over_the_limit_is_413_before_anything_is_proxied(gateway_url, upstreams):
    # The default limit is 60 MiB; announce more and send nothing: the answer must come at once.
    before = upstreams["filing"].hits
    with socket.create_connection(("127.0.0.1", int(gateway_url.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(
            b"POST /api/filing/v1/documents HTTP/1.1\r\nHost: gw\r\nContent-Type: application/pdf\r\n"
            + f"Content-Length: {61 * MIB}\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"application/problem+json" in head
    assert upstreams["filing"].hits == before


def test_body_over_a_small_limit_is_413_problem(serve_gateway, upstream_urls, upstreams):
    url = serve_gateway(upstream_urls, ICMS_GATEWAY_MAX_BODY_BYTES=str(MIB))
    before = upstreams["filing"].hits

    answer = requests.post(f"{url}/api/filing/v1/documents", data=SizedBody(MIB + 1), timeout=TIMEOUT)

    assert answer.status_code == 413
    document = problem(answer)
    assert document["type"] == "urn:icms:problem:content-too-large"
    assert document["max_bytes"] == MIB
    assert upstreams["filing"].hits == before
    # Exactly at the limit is fine.
    assert (
        requests.post(f"{url}/api/filing/v1/documents", data=SizedBody(MIB), timeout=TIMEOUT).json()["body_bytes"]
        == MIB
    )


def test_chunked_body_growing_past_the_limit_is_413_problem(serve_gateway, upstream_urls):
    url = serve_gateway(upstream_urls, ICMS_GATEWAY_MAX_BODY_BYTES=str(MIB))

    answer = requests.post(f"{url}/api/filing/v1/documents", data=generated_chunks(3 * MIB), timeout=TIMEOUT)

    assert answer.status_code == 413
    assert problem(answer)["type"] == "urn:icms:problem:content-too-large"
    # A chunked body within the limit still goes through.
    small = requests.post(f"{url}/api/filing/v1/documents", data=generated_chunks(MIB // 2), timeout=TIMEOUT).json()
    assert small["body_bytes"] == MIB // 2


@pytest.mark.parametrize("chunked", [False, True])
def test_upstream_breaking_off_mid_response_cuts_the_client_connection(gateway_url, chunked):
    # The status has been sent already; the client must see a broken body, not a clean short one.
    query = "size=4000000&break_after=1000000" + ("&chunked=1" if chunked else "")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _ = requests.get(f"{gateway_url}/api/filing/download?{query}", timeout=TIMEOUT).content
    # The gateway carries on.
    assert requests.get(f"{gateway_url}/api/filing/v1/x", timeout=TIMEOUT).status_code == 200
