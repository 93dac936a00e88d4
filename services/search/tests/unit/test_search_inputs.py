"""What search takes in, checked without infrastructure: query parameters into query objects, the
text fetcher's verdicts (transient or permanent) on what a URL answers, its settings, and the
subscriptions matching the handlers."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import httpx
import pytest
from werkzeug.datastructures import MultiDict

from chassis.config import ConfigError
from chassis.messaging.consumer import PermanentError
from chassis.web.problems import Problem
from search import config
from search.adapters.document_text import TextFetcher, TextRefused, TextUnavailable
from search.entrypoints.arguments import cause_book_query, document_query
from search.service_layer.handlers import handlers
from search.topology import FILING_ROUTING_KEYS, IDENTITY_ROUTING_KEYS, topology

TEXT = "Judgment: the appeal is dismissed. 上訴駁回。".encode()


def errors(read, **params: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(Problem) as caught:
        read(MultiDict(params))
    assert caught.value.status == 400 and caught.value.kind == "invalid-request"
    return {e.field: e.message for e in caught.value.errors}


def test_parameters_become_the_queries() -> None:
    query = cause_book_query(
        MultiDict({"case_number": "dcpi 1234/2026", "court": "dc", "year": "2026", "filed_to": "2026-03-31"})
    )
    assert (str(query.number), query.court, query.year, query.filed_to) == (
        "DCPI 1234/2026",
        "DC",
        2026,
        date(2026, 3, 31),
    )
    assert query.limit == 20 and query.cursor is None
    documents = document_query(MultiDict({"q": "negligence", "from": "2026-01-01", "limit": "5"}))
    assert (documents.text, documents.date_from, documents.limit) == ("negligence", date(2026, 1, 1), 5)


def test_every_bad_parameter_is_named_at_once_under_the_endpoints_own_names() -> None:
    assert errors(document_query, q="x" * 201, **{"from": "2026-02-29", "to": "20260101"}, limit="1e2") == {
        "q": "must be at most 200 characters of text",
        "from": "must be a day YYYY-MM-DD in the years 2000 to 2100",
        "to": "must be a day YYYY-MM-DD in the years 2000 to 2100",
        "limit": "must be an integer from 1 to 100",
    }
    assert errors(document_query, **{"from": "2026-03-02", "to": "2026-03-01"}) == {"to": "must not be before from"}
    assert errors(cause_book_query, year="²⁰²⁶", case_type="DC PI", filed_from="1999-12-31", limit="101") == {
        "year": "must be an integer from 1900 to 2999",
        "case_type": "must be a code of 1 to 8 letters, e.g. DC or DCPI",
        "filed_from": "must be a day YYYY-MM-DD in the years 2000 to 2100",
        "limit": "must be an integer from 1 to 100",
    }
    assert errors(cause_book_query, **{f"p{n}": "x" for n in range(30)}) == {
        f"p{n}": "not a parameter of this search" for n in sorted(range(30), key=str)[:10]
    }


# The text fetcher -------------------------------------------------------------------------------------


def reference(body: bytes = TEXT, **overrides: Any) -> dict[str, Any]:
    return {
        "key": "texts/judgment.txt",
        "sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
        "url": "http://s3.test/texts/judgment.txt?X-Amz-Signature=abc",
        **overrides,
    }


def fetcher(answer, max_bytes: int = 1024) -> TextFetcher:  # type: ignore[no-untyped-def]
    return TextFetcher(max_bytes, 5.0, transport=httpx.MockTransport(answer))


def test_text_is_fetched_and_believed_only_if_it_is_what_the_event_names() -> None:
    assert fetcher(lambda request: httpx.Response(200, content=TEXT)).fetch(reference()) == TEXT.decode()
    tampered = fetcher(lambda request: httpx.Response(200, content=TEXT.replace(b"dismissed", b"allowed!!")))
    with pytest.raises(TextRefused, match="SHA-256"):
        tampered.fetch(reference())
    with pytest.raises(TextRefused, match="more than the"):
        fetcher(lambda request: httpx.Response(200, content=TEXT + b"!")).fetch(reference())
    with pytest.raises(TextRefused, match="bytes, the event names"):
        fetcher(lambda request: httpx.Response(200, content=TEXT[:-1])).fetch(reference())
    latin = "café".encode("latin-1")
    with pytest.raises(TextRefused, match="not UTF-8"):
        fetcher(lambda request: httpx.Response(200, content=latin)).fetch(reference(latin))
    assert issubclass(TextRefused, PermanentError) and not issubclass(TextUnavailable, PermanentError)


def test_what_could_change_is_transient_and_what_cannot_is_not() -> None:
    asked: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    for status in (403, 404, 500, 503):
        with pytest.raises(TextUnavailable, match=f"HTTP {status}"):
            fetcher(lambda request, status=status: httpx.Response(status)).fetch(reference())
    with pytest.raises(TextUnavailable, match="ConnectError"):
        fetcher(refuse).fetch(reference())
    with pytest.raises(TextUnavailable, match="HTTP 302"):
        fetcher(lambda request: httpx.Response(302, headers={"Location": "http://elsewhere/"})).fetch(reference())
    # Never asked at all: too big to hold, or not a web URL.
    with pytest.raises(TextRefused, match="over the cap"):
        fetcher(refuse, max_bytes=10).fetch(reference())
    with pytest.raises(TextRefused, match="not http"):
        fetcher(refuse).fetch(reference(url="file:///etc/passwd"))
    assert len(asked) == 1


def test_settings_are_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICMS_GATEWAY_SECRET", "s" * 32)
    assert config.load_search().text_max_bytes == 16 * 1024 * 1024
    monkeypatch.setenv("ICMS_SEARCH_TEXT_MAX_BYTES", "100")
    with pytest.raises(ConfigError, match="ICMS_SEARCH_TEXT_MAX_BYTES"):
        config.load_search()
    monkeypatch.setenv("ICMS_SEARCH_TEXT_MAX_BYTES", "4096")
    monkeypatch.setenv("ICMS_SEARCH_TEXT_FETCH_SECONDS", "0")
    with pytest.raises(ConfigError, match="ICMS_SEARCH_TEXT_FETCH_SECONDS"):
        config.load_search()
    monkeypatch.setenv("ICMS_SEARCH_TEXT_FETCH_SECONDS", "10")
    monkeypatch.delenv("ICMS_FILING_URL", raising=False)
    assert (config.load_search().filing_url, config.load_search().export_page_size) == ("", 500)
    monkeypatch.setenv("ICMS_FILING_URL", "http://127.0.0.1:8001/")
    assert config.load_search().filing_url == "http://127.0.0.1:8001"
    monkeypatch.setenv("ICMS_SEARCH_EXPORT_PAGE_SIZE", "1001")
    with pytest.raises(ConfigError, match="ICMS_SEARCH_EXPORT_PAGE_SIZE"):
        config.load_search()
    monkeypatch.setenv("ICMS_SEARCH_EXPORT_PAGE_SIZE", "500")
    monkeypatch.setenv("ICMS_SEARCH_EXPORT_SECONDS", "0")
    with pytest.raises(ConfigError, match="ICMS_SEARCH_EXPORT_SECONDS"):
        config.load_search()


def test_every_event_search_subscribes_to_has_a_handler_and_no_other() -> None:
    subscribed = {key for s in topology().subscriptions for key in s.routing_keys}
    assert subscribed == set(FILING_ROUTING_KEYS) | set(IDENTITY_ROUTING_KEYS)
    assert set(handlers(deps=None)) == subscribed  # type: ignore[arg-type]
