"""A public document's extracted text, fetched by the reference filing's event carries.

Events carry references, never bytes (DESIGN.md): ``filing.document.published`` names the text
object in filing's bucket by key, SHA-256 and size, with a presigned GET URL. Search reads it over
plain HTTP, needing no credentials for filing's storage, and believes it only if it is exactly the
object the event describes.

What a failure means for the message (the chassis's consumer retries any exception through its
delay queues, and dead-letters a :class:`chassis.messaging.consumer.PermanentError` at once):

- :class:`TextUnavailable` (transient): the URL did not answer, answered with an error (5xx, or 403
  once it has expired), or the connection broke mid-way. Trying again may work.
- :class:`TextRefused` (permanent): the bytes are not what the event vouches for (another SHA-256 or
  size: tampered or mixed up), the declared size is over the cap, the URL is not http(s), or the
  text is not UTF-8. Fetching the same URL again cannot change that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from chassis.messaging.consumer import PermanentError

CHUNK = 64 * 1024


class TextUnavailable(Exception):
    """The text could not be fetched now; the consumer retries the message later."""


class TextRefused(PermanentError):
    """The text is not what the event says, or never acceptable; the message is dead-lettered."""


class TextFetcher:
    """Fetches referenced text over one pooled HTTP client, with a timeout and a size cap."""

    def __init__(self, max_bytes: int, timeout_seconds: float, transport: httpx.BaseTransport | None = None) -> None:
        self.max_bytes = max_bytes
        # Redirects are not followed: a presigned URL answers itself or not at all.
        self._client = httpx.Client(timeout=timeout_seconds, follow_redirects=False, transport=transport)

    def fetch(self, reference: Mapping[str, Any]) -> str:
        """The UTF-8 text ``reference`` (``{key, sha256, size, url, ...}``) names, checked byte for byte."""
        expected_size, expected_sha256, url = int(reference["size"]), str(reference["sha256"]), str(reference["url"])
        where = f"text {reference.get('key', '?')}"
        if urlsplit(url).scheme not in ("http", "https"):
            raise TextRefused(f"{where}: the URL is not http(s)")
        if expected_size > self.max_bytes:
            raise TextRefused(f"{where}: {expected_size} bytes, over the cap of {self.max_bytes}")
        digest = hashlib.sha256()
        body = bytearray()
        try:
            with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise TextUnavailable(f"{where}: the URL answered HTTP {response.status_code}")
                for chunk in response.iter_bytes(CHUNK):
                    body += chunk
                    if len(body) > expected_size:
                        raise TextRefused(f"{where}: more than the {expected_size} bytes the event names")
                    digest.update(chunk)
        except httpx.InvalidURL as exc:
            raise TextRefused(f"{where}: not a URL: {exc}") from None
        except httpx.HTTPError as exc:
            raise TextUnavailable(f"{where}: {type(exc).__name__}: {exc}") from exc
        if len(body) != expected_size:
            raise TextRefused(f"{where}: {len(body)} bytes, the event names {expected_size}")
        if digest.hexdigest() != expected_sha256.lower():
            raise TextRefused(f"{where}: SHA-256 {digest.hexdigest()}, the event names {expected_sha256}")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TextRefused(f"{where}: not UTF-8 ({exc.reason} at byte {exc.start})") from None

    def close(self) -> None:
        self._client.close()
