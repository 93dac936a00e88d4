"""50 MB up and down through a gunicorn gateway never sits whole in the gateway's memory."""

from __future__ import annotations

import hashlib

import pytest
import requests
from gateway_testkit import MB, TIMEOUT, PeakMemory, SizedBody, generated_chunks, generated_sha256, header

SIZE = 50 * MB
# Python, Flask and httpx use some memory per request whatever its size; 50 MB held would show.
MAX_GROWTH_MIB = 20


@pytest.fixture
def warm_gateway(gateway_url, gunicorn_gateway):
    """The gateway worker after one small upload and download, so buffers and imports are in place."""
    requests.post(f"{gateway_url}/api/filing/v1/documents", data=SizedBody(2 * MB), timeout=TIMEOUT).raise_for_status()
    requests.get(f"{gateway_url}/api/filing/download?size={2 * MB}", timeout=TIMEOUT).raise_for_status()
    return gunicorn_gateway


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_50mb_upload_streams_through(warm_gateway, chunked, record_property):
    body = generated_chunks(SIZE) if chunked else SizedBody(SIZE)

    with PeakMemory(warm_gateway.worker_pid) as memory:
        answer = requests.post(f"{warm_gateway.url}/api/filing/v1/documents", data=body, timeout=120)

    record_property("gateway_memory", memory.describe())
    print(f"\nupload {'chunked' if chunked else 'content-length'}: {memory.describe()}")
    assert answer.status_code == 200
    echo = answer.json()
    assert echo["body_bytes"] == SIZE
    assert echo["body_sha256"] == generated_sha256(SIZE)
    if chunked:
        assert header(echo, "Transfer-Encoding") == "chunked"
        assert header(echo, "Content-Length") is None
    else:
        assert header(echo, "Content-Length") == str(SIZE)
        assert header(echo, "Transfer-Encoding") is None
    assert memory.growth_mib < MAX_GROWTH_MIB, memory.describe()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_50mb_download_streams_back(warm_gateway, chunked, record_property):
    query = f"size={SIZE}" + ("&chunked=1" if chunked else "")
    digest = hashlib.sha256()
    received = 0

    url = f"{warm_gateway.url}/api/filing/download?{query}"
    with PeakMemory(warm_gateway.worker_pid) as memory, requests.get(url, stream=True, timeout=120) as answer:
        assert answer.status_code == 200
        for chunk in answer.iter_content(64 * 1024):
            digest.update(chunk)
            received += len(chunk)

    record_property("gateway_memory", memory.describe())
    print(f"\ndownload {'chunked' if chunked else 'content-length'}: {memory.describe()}")
    if chunked:
        assert "Content-Length" not in answer.headers
    else:
        assert answer.headers["Content-Length"] == str(SIZE)
    assert received == SIZE
    assert digest.hexdigest() == generated_sha256(SIZE)
    assert memory.growth_mib < MAX_GROWTH_MIB, memory.describe()
