"""The pure parts of proxying: which headers pass, how URLs are built, how bodies are read."""

from __future__ import annotations

import io

import httpx
import pytest

from gateway.bootstrap import upstream_client
from gateway.config import Settings
from gateway.proxy import (
    BodyTooLarge,
    ClientBodyError,
    RequestBody,
    client_response_headers,
    has_dot_segment,
    upstream_request_headers,
    upstream_url,
)

PRINCIPAL = {"X-ICMS-Principal": "e30", "X-ICMS-Principal-Signature": "ab12"}


def _forwarded(headers: list[tuple[str, str]]) -> dict[str, str]:
    out = upstream_request_headers(
        headers,
        request_id="rid-1",
        client_addr="203.0.113.9",
        scheme="https",
        host="portal.example",
        principal=PRINCIPAL,
    )
    names = [name.decode().lower() for name, _ in out]
    assert len(names) == len(set(names)), names
    return {name.decode().lower(): value.decode("latin-1") for name, value in out}


def test_request_headers_lose_client_set_principal_credentials_forwarding_and_hop_by_hop_headers():
    forwarded = _forwarded(
        [
            ("Host", "portal.example"),
            ("X-ICMS-Principal", "judge"),
            ("X-ICMS-Principal-Signature", "forged"),
            ("X-Icms-Roles", "admin"),
            ("X-Forwarded-For", "6.6.6.6"),
            ("X-Forwarded-Proto", "http"),
            ("X-Forwarded-Prefix", "/evil"),
            ("Forwarded", "for=6.6.6.6"),
            ("X-Real-IP", "6.6.6.6"),
            ("X-Request-ID", "client-chosen"),
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "1"),
            ("Keep-Alive", "timeout=5"),
            ("TE", "trailers"),
            ("Trailer", "X-Sum"),
            ("Transfer-Encoding", "chunked"),
            ("Upgrade", "websocket"),
            ("Proxy-Authorization", "Basic x"),
            ("Proxy-Connection", "keep-alive"),
            ("Expect", "100-continue"),
            ("Content-Length", "12"),
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer t"),
            ("Idempotency-Key", "k-1"),
            ("Accept-Language", "zh-HK"),
        ]
    )

    assert forwarded == {
        "content-type": "application/json",
        "idempotency-key": "k-1",
        "accept-language": "zh-HK",
        "x-request-id": "rid-1",
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "portal.example",
        "x-icms-principal": "e30",
        "x-icms-principal-signature": "ab12",
    }


def test_non_ascii_header_values_pass_as_their_bytes():
    forwarded = _forwarded([("X-Filename", "caf\xc3\xa9.pdf")])  # WSGI hands over latin-1 decoded bytes
    assert forwarded["x-filename"].encode("latin-1").decode("utf-8") == "café.pdf"


def test_response_headers_lose_hop_by_hop_and_server_set_ones_but_keep_duplicates():
    relayed = client_response_headers(
        [
            (b"Content-Type", b"application/json"),
            (b"Content-Length", b"10"),
            (b"Set-Cookie", b"a=1"),
            (b"Set-Cookie", b"b=2"),
            (b"Connection", b"close, X-Hop"),
            (b"X-Hop", b"1"),
            (b"Keep-Alive", b"timeout=5"),
            (b"Transfer-Encoding", b"chunked"),
            (b"Proxy-Authenticate", b"Basic"),
            (b"Date", b"Mon, 01 Jan 2024 00:00:00 GMT"),
            (b"Server", b"werkzeug"),
            (b"X-Request-ID", b"upstream's"),
            (b"Location", b"/api/filing/v1/x"),
        ]
    )

    assert relayed == [
        ("Content-Type", "application/json"),
        ("Content-Length", "10"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Location", "/api/filing/v1/x"),
    ]


@pytest.mark.parametrize(
    ("path", "dotted"),
    [
        ("/api/filing/v1/x", False),
        ("/api/filing/v1/x.pdf", False),
        ("/api/filing/...", False),
        ("/api/filing/../identity/x", True),
        ("/api/filing/./x", True),
        ("/api/filing/x/..", True),
    ],
)
def test_dot_segments(path, dotted):
    assert has_dot_segment(path) is dotted


def test_upstream_url_reencodes_the_path_and_keeps_the_query_as_sent():
    # PATH_INFO is the decoded path as a latin-1 string of its UTF-8 bytes.
    path_info = "/api/search/v1/parties/Chan Tai Man/\xe9\x99\xb3"
    url = upstream_url("http://search:8004", path_info, "q=a%20b&q=c&x=")

    assert url == "http://search:8004/api/search/v1/parties/Chan%20Tai%20Man/%E9%99%B3?q=a%20b&q=c&x="
    assert upstream_url("http://s", "/api/search/x", "") == "http://s/api/search/x"


def test_request_body_streams_in_chunks():
    body = RequestBody(io.BytesIO(b"x" * 10), limit=100, expected=10, chunk_size=4)
    assert [len(c) for c in body] == [4, 4, 2]
    assert body.received == 10


def test_request_body_over_the_limit_stops():
    body = iter(RequestBody(io.BytesIO(b"x" * 10), limit=6, expected=None, chunk_size=4))
    assert next(body) == b"xxxx"
    with pytest.raises(BodyTooLarge):
        next(body)


def test_request_body_shorter_than_announced_is_the_clients_fault():
    with pytest.raises(ClientBodyError, match="3 of 10"):
        list(RequestBody(io.BytesIO(b"abc"), limit=100, expected=10))


def test_request_body_read_errors_are_the_clients_fault():
    class Broken(io.RawIOBase):
        def read(self, size=-1):
            raise OSError("connection reset by peer")

    with pytest.raises(ClientBodyError, match="connection reset"):
        list(RequestBody(Broken(), limit=100, expected=None))


def test_upstream_client_keeps_nothing_between_clients_and_follows_nothing():
    settings = Settings(
        upstreams={"filing": "http://f"}, secret="s" * 32, jwks_url="http://i/jwks", connect_timeout=1, read_timeout=2
    )
    client = upstream_client(settings)
    try:
        assert client.follow_redirects is False
        assert client.trust_env is False
        assert client.timeout == httpx.Timeout(connect=1, read=2, write=60, pool=1)
        response = httpx.Response(
            200, headers=[("Set-Cookie", "session=1; Path=/")], request=httpx.Request("GET", "http://f/")
        )
        client.cookies.extract_cookies(response)
        assert len(client.cookies.jar) == 0
    finally:
        client.close()
