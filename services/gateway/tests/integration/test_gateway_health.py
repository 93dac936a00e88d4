"""The gateway is ready only when every service behind it is."""

from __future__ import annotations

import requests
from gateway_testkit import TIMEOUT, EchoUpstream


def test_ready_when_every_upstream_is_ready(gateway_url):
    answer = requests.get(f"{gateway_url}/health/ready", timeout=TIMEOUT)

    assert answer.status_code == 200
    body = answer.json()
    assert body["service"] == "gateway"
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"identity", "filing", "payments", "search"}
    for check in body["checks"].values():
        assert check["status"] == "up"
        assert check["checks"] == {"db": {"status": "up"}}


def test_unready_listing_which_upstreams_are_down(serve_gateway, upstream_urls, dead_url):
    unready = EchoUpstream("search")
    unready.ready = False
    try:
        url = serve_gateway({**upstream_urls, "payments": dead_url, "search": unready.url})

        answer = requests.get(f"{url}/health/ready", timeout=TIMEOUT)
    finally:
        unready.close()

    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unready"
    checks = body["checks"]
    assert checks["identity"]["status"] == "up" and checks["filing"]["status"] == "up"
    assert checks["payments"]["status"] == "down"
    assert checks["payments"]["error"] == "unreachable"
    assert checks["search"]["status"] == "down"
    assert checks["search"]["http_status"] == 503
    assert checks["search"]["checks"] == {"db": {"status": "down"}}


def test_the_public_readiness_answer_reveals_no_internal_detail(serve_gateway, upstream_urls, dead_url):
    url = serve_gateway({**upstream_urls, "payments": dead_url})

    text = requests.get(f"{url}/health/ready", timeout=TIMEOUT).text

    assert dead_url.split("//", 1)[1] not in text  # no internal host or port
    assert "Error" not in text  # no exception names or messages


def test_upstreams_are_asked_concurrently_with_a_short_timeout(serve_gateway, upstream_urls):
    # Two upstreams that accept connections but never answer: with a 1 s timeout asked one after
    # the other this would take over 2 s.
    import socket

    silent = [socket.create_server(("127.0.0.1", 0)) for _ in range(2)]
    try:
        urls = {**upstream_urls}
        urls["identity"], urls["filing"] = (f"http://127.0.0.1:{s.getsockname()[1]}" for s in silent)
        url = serve_gateway(urls, ICMS_GATEWAY_HEALTH_TIMEOUT="1")

        answer = requests.get(f"{url}/health/ready", timeout=10)
    finally:
        for s in silent:
            s.close()

    assert answer.status_code == 503
    assert answer.elapsed.total_seconds() < 1.9
    assert answer.json()["checks"]["identity"]["status"] == "down"
    assert answer.json()["checks"]["payments"]["status"] == "up"
