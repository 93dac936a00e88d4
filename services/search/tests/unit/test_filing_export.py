"""Reading filing's export: every page in turn by its cursor, each request signed afresh as
``search_service``, and anything but a page refused (httpx's mock transport stands in for filing)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from chassis.web.principal import read_principal
from search.adapters.filing_export import ExportUnavailable, FilingExport

SECRET = "s" * 32


def export(handler: httpx.MockTransport) -> FilingExport:
    return FilingExport("http://filing.test/", SECRET, page_size=2, timeout_seconds=1, transport=handler)


def test_every_page_is_read_in_turn_as_the_search_service() -> None:
    asked: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        principal = read_principal(request.headers, "127.0.0.1", SECRET, datetime.now(UTC))
        assert principal.roles == ("search_service",) and principal.authenticated
        after = request.url.params.get("after")
        return httpx.Response(200, json={"items": [{"n": after or "first"}], "next_cursor": None if after else "c1"})

    assert [page for page in export(httpx.MockTransport(answer)).cases()] == [[{"n": "first"}], [{"n": "c1"}]]
    assert [str(url) for url in asked] == [
        "http://filing.test/api/filing/v1/export/cases?limit=2",
        "http://filing.test/api/filing/v1/export/cases?limit=2&after=c1",
    ]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(403, json={"title": "Forbidden"}),
        httpx.Response(503, text="down"),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"items": "nope", "next_cursor": None}),
        httpx.Response(200, json=[1, 2]),
    ],
)
def test_anything_but_a_page_is_refused(response: httpx.Response) -> None:
    with pytest.raises(ExportUnavailable):
        list(export(httpx.MockTransport(lambda _request: response)).documents())


def test_an_unreachable_filing_is_refused() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ExportUnavailable, match="ConnectError"):
        list(export(httpx.MockTransport(unreachable)).cases())
