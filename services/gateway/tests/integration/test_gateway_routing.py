"""Requests reach the right service with their method, path, query, headers and body intact."""

from __future__ import annotations

import hashlib
import socket
import uuid

import pytest
import requests
from gateway_testkit import SERVICES, TIMEOUT, header, header_names, problem


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_routed_to_its_upstream_with_path_and_query(gateway_url, service):
    query = "b=2&a=1&a=3&q=caf%C3%A9+x%20y&empty="
    answer = requests.get(f"{gateway_url}/api/{service}/v1/cases/HCA-1%2F2025/documents?{query}", timeout=TIMEOUT)

    assert answer.status_code == 200
    echo = answer.json()
    assert echo["upstream"] == service
    assert echo["method"] == "GET"
    assert echo["path"] == f"/api/{service}/v1/cases/HCA-1/2025/documents"
    assert echo["query_string"] == query


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_methods_and_bodies_are_passed_on(gateway_url, method):
    body = b'{"title": "Statement of claim"}'
    answer = requests.request(method, f"{gateway_url}/api/filing/v1/filings", data=body, timeout=TIMEOUT)

    echo = answer.json()
    assert echo["method"] == method
    assert echo["body_bytes"] == len(body)
    assert echo["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert header(echo, "Content-Length") == str(len(body))
    assert header(echo, "Transfer-Encoding") is None


def test_options_and_head_reach_the_upstream(gateway_url, upstreams):
    options = requests.options(f"{gateway_url}/api/search/v1/cause-book", timeout=TIMEOUT)
    assert options.json()["method"] == "OPTIONS"

    before = upstreams["search"].hits
    head = requests.head(f"{gateway_url}/api/search/v1/cause-book", timeout=TIMEOUT)
    assert head.status_code == 200
    assert head.content == b""
    assert upstreams["search"].hits == before + 1


def test_service_root_paths_are_passed_on(gateway_url):
    assert requests.get(f"{gateway_url}/api/identity", timeout=TIMEOUT).json()["path"] == "/api/identity"
    assert requests.get(f"{gateway_url}/api/identity/", timeout=TIMEOUT).json()["path"] == "/api/identity/"


def test_unknown_service_is_404_problem_and_reaches_no_upstream(gateway_url, upstreams):
    before = {name: u.hits for name, u in upstreams.items()}

    answer = requests.post(f"{gateway_url}/api/billing/v1/invoices", data=b"x", timeout=TIMEOUT)

    assert answer.status_code == 404
    assert problem(answer)["type"] == "urn:icms:problem:unknown-service"
    assert answer.headers["X-Request-ID"]
    assert {name: u.hits for name, u in upstreams.items()} == before


def test_dot_segments_are_refused(gateway_url, upstreams):
    before = upstreams["identity"].hits
    with socket.create_connection(("127.0.0.1", int(gateway_url.rsplit(":", 1)[1]))) as sock:
        sock.sendall(b"GET /api/identity/../filing/v1/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
        reply = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert b"urn:icms:problem:invalid-path" in reply
    assert upstreams["identity"].hits == before


def test_client_cannot_set_principal_or_forwarding_headers(gateway_url, upstreams):
    answer = requests.get(
        f"{gateway_url}/api/payments/v1/orders",
        headers={
            "X-ICMS-Principal": "judge",
            "x-icms-roles": "registrar,admin",
            "X-Forwarded-For": "6.6.6.6",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Port": "443",
            "Forwarded": "for=6.6.6.6;proto=https",
            "X-Real-IP": "6.6.6.6",
            "Proxy-Authorization": "Basic Zm9vOmJhcg==",
            "Connection": "keep-alive, X-Secret-Hop",
            "X-Secret-Hop": "for the next hop only",
            "Keep-Alive": "timeout=5",
            "X-Client-Thing": "kept",
            "Accept-Encoding": "identity",
        },
        timeout=TIMEOUT,
    )

    echo = answer.json()
    names = header_names(echo)
    assert {n for n in names if n.startswith("x-icms-")} == {"x-icms-principal", "x-icms-principal-signature"}
    assert header(echo, "X-ICMS-Principal") != "judge"
    assert echo["principal"]["subject"] is None and echo["principal"]["roles"] == []
    for dropped in ("forwarded", "x-real-ip", "x-forwarded-port", "proxy-authorization", "x-secret-hop", "keep-alive"):
        assert dropped not in names
    assert header(echo, "X-Forwarded-For") == "127.0.0.1"
    assert header(echo, "X-Forwarded-Proto") == "http"
    assert header(echo, "X-Forwarded-Host") == gateway_url.removeprefix("http://")
    assert header(echo, "Host") == f"127.0.0.1:{upstreams['payments'].port}"
    assert header(echo, "X-Client-Thing") == "kept"
    assert header(echo, "Accept-Encoding") == "identity"


def test_request_id_is_generated_forwarded_and_returned(gateway_url):
    answer = requests.get(f"{gateway_url}/api/identity/v1/me", timeout=TIMEOUT)

    generated = answer.headers["X-Request-ID"]
    assert uuid.UUID(generated)
    assert header(answer.json(), "X-Request-ID") == generated


def test_clients_acceptable_request_id_is_kept(gateway_url):
    answer = requests.get(
        f"{gateway_url}/api/identity/v1/me", headers={"X-Request-ID": "client-abc.123:9"}, timeout=TIMEOUT
    )

    assert answer.headers["X-Request-ID"] == "client-abc.123:9"
    assert header(answer.json(), "X-Request-ID") == "client-abc.123:9"


@pytest.mark.parametrize("bad", ["a" * 500, "abc def", "<script>", "id;rm -rf"])
def test_unacceptable_request_id_is_replaced(gateway_url, bad):
    answer = requests.get(f"{gateway_url}/api/identity/v1/me", headers={"X-Request-ID": bad}, timeout=TIMEOUT)

    replaced = answer.headers["X-Request-ID"]
    assert replaced != bad and uuid.UUID(replaced)
    assert header(answer.json(), "X-Request-ID") == replaced


def test_request_id_with_a_line_break_is_replaced(serve_gateway, upstream_urls):
    # gunicorn refuses a folded header line outright (400); werkzeug's server unfolds it into the
    # value, so this is what would reach the gateway's code.
    url = serve_gateway(upstream_urls)
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as sock:
        sock.sendall(
            b"GET /api/identity/v1/me HTTP/1.1\r\nHost: gw\r\nX-Request-ID: abc\r\n\tX-ICMS-Principal: judge\r\n"
            b"Connection: close\r\n\r\n"
        )
        reply = _read_all(sock)
    head, _, body = reply.partition(b"\r\n\r\n")
    returned = [line for line in head.split(b"\r\n") if line.lower().startswith(b"x-request-id:")]
    assert len(returned) == 1
    replaced = returned[0].split(b":", 1)[1].strip().decode()
    assert uuid.UUID(replaced)
    assert f'["X-Request-Id","{replaced}"]'.encode() in body


def test_folded_header_never_reaches_an_upstream_through_gunicorn(gateway_url, upstreams):
    before = upstreams["identity"].hits
    with socket.create_connection(("127.0.0.1", int(gateway_url.rsplit(":", 1)[1]))) as sock:
        sock.sendall(
            b"GET /api/identity/v1/me HTTP/1.1\r\nHost: gw\r\nX-Request-ID: abc\r\n\tdef\r\nConnection: close\r\n\r\n"
        )
        reply = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert upstreams["identity"].hits == before


def test_redirects_are_returned_not_followed(gateway_url):
    answer = requests.get(f"{gateway_url}/api/filing/redirect", allow_redirects=False, timeout=TIMEOUT)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/api/elsewhere"


def test_set_cookie_headers_are_all_relayed_and_not_kept_by_the_gateway(gateway_url):
    first = requests.get(f"{gateway_url}/api/identity/cookies", timeout=TIMEOUT)
    assert first.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]

    second = requests.get(f"{gateway_url}/api/identity/cookies", timeout=TIMEOUT)
    assert second.json()["cookie_header"] is None  # another client must never get the first's cookies

    mine = requests.get(f"{gateway_url}/api/identity/cookies", headers={"Cookie": "session=mine"}, timeout=TIMEOUT)
    assert mine.json()["cookie_header"] == "session=mine"


def test_health_and_metrics_come_from_the_chassis(gateway_url):
    assert requests.get(f"{gateway_url}/health/live", timeout=TIMEOUT).json() == {
        "service": "gateway",
        "status": "live",
    }
    requests.get(f"{gateway_url}/api/search/v1/x", timeout=TIMEOUT)
    metrics = requests.get(f"{gateway_url}/metrics", timeout=TIMEOUT).text
    assert 'icms_http_requests_total{method="GET",route="/api/search/<path:path>",service="gateway",status="200"}' in (
        metrics
    )


def _read_all(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data
