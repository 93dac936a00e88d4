"""Filing's paged export (``GET /api/filing/v1/export/cases`` and ``/documents``), read for ``search rebuild``.

Search calls filing directly, never through the gateway, as the principal ``search_service`` it signs
itself with the gateway's shared secret (identity never issues that role, so no user holds it). Each
request is signed afresh: a signature is good for a short while only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from chassis.web.principal import Principal, principal_headers

SEARCH_SERVICE = "search_service"
EXPORT = "/api/filing/v1/export"


class ExportUnavailable(Exception):
    """Filing's export could not be read (unreachable, timed out, or an answer other than a page)."""


def service_principal() -> Principal:
    return Principal("service:search", "service", (SEARCH_SERVICE,), None, None, None, None, "127.0.0.1")


class FilingExport:
    """Pages of filing's export, each a list of items as filing's events carry them."""

    def __init__(
        self,
        base_url: str,
        secret: str,
        page_size: int,
        timeout_seconds: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.page_size = page_size
        self._client = httpx.Client(timeout=timeout_seconds, follow_redirects=False, transport=transport)

    def cases(self) -> Iterator[list[dict[str, Any]]]:
        """Every case, with identity's assignment sets as filing holds them."""
        return self._pages("cases")

    def documents(self) -> Iterator[list[dict[str, Any]]]:
        """Every document open to inspection whose text is stored (sealed ones with ``sealed: true``),
        each with a freshly presigned text URL."""
        return self._pages("documents")

    def _pages(self, kind: str) -> Iterator[list[dict[str, Any]]]:
        url = f"{self.base_url}{EXPORT}/{kind}"
        after: str | None = None
        while True:
            params = {"limit": str(self.page_size), **({"after": after} if after else {})}
            page = self._get(url, params)
            yield page["items"]
            after = page["next_cursor"]
            if after is None:
                return

    def _get(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        headers = principal_headers(service_principal(), self.secret, datetime.now(UTC))
        try:
            response = self._client.get(url, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise ExportUnavailable(f"filing's export at {url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise ExportUnavailable(
                f"filing's export at {url} answered HTTP {response.status_code}: {response.text[:300]}"
            )
        try:
            page = response.json()
            if not isinstance(page.get("items"), list) or not isinstance(page.get("next_cursor"), str | None):
                raise ValueError("no items and next_cursor")
        except (ValueError, AttributeError) as exc:
            raise ExportUnavailable(f"filing's export at {url} answered something other than a page: {exc}") from exc
        return page

    def close(self) -> None:
        self._client.close()
