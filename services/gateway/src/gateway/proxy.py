"""Passing a request on to the service that owns it and its answer back, streaming both ways.

Neither body is ever held whole: the request body is read from the WSGI input in chunks as the
client sends it and written to the upstream as it is read (with the client's ``Content-Length``
when it sent one, chunked only when the client was); the response body is relayed chunk by chunk
as the upstream sends it, and its connection goes back to the pool (or is closed) when it ends.

The caller is authenticated first (``gateway.tokens``): a request with a bad access token goes no
further, and every request that is passed on carries the signed principal headers instead of the
token (``chassis.web.principal``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import IO
from urllib.parse import quote

import httpx
from flask import Response, request

from chassis import logs
from chassis.clock import SystemClock
from chassis.web.app import REQUEST_ID_HEADER, current_request_id
from chassis.web.principal import principal_headers
from chassis.web.problems import Problem
from gateway.tokens import TokenVerifier

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024

# RFC 9110 section 7.6.1: meaningful for one connection only, never passed on. Any Proxy-* too,
# and whatever the Connection header itself names.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade"}
)

# Request headers the gateway sets itself, or that a client must never be able to set: X-ICMS-*
# carry the principal the gateway authenticated, in place of the client's Authorization; the
# forwarding headers describe the client as the gateway saw it. Host is the upstream's;
# Content-Length is re-added from the parsed value; Expect was answered by the gateway's own server.
_SET_BY_GATEWAY = frozenset(
    {"host", "content-length", "expect", "forwarded", "x-real-ip", "x-request-id", "authorization"}
)
_CLIENT_FORBIDDEN_PREFIXES = ("x-icms-", "x-forwarded-", "proxy-")

# Response headers the gateway's own server writes (a second Date or Server would be a duplicate),
# and the request id, which the chassis sets on every response.
_NOT_RELAYED = frozenset({"date", "server", "x-request-id"})


class BodyTooLarge(Exception):
    """The request body grew past the limit while it was being passed on."""


class ClientBodyError(Exception):
    """The client's request body could not be read to its end (client gone, bad chunking)."""


class UpstreamBrokeOff(Exception):
    """The upstream failed after the response had started; the client's connection must be cut."""


def connection_tokens(headers: Iterable[tuple[str, str]]) -> set[str]:
    """The header names a ``Connection`` header lists, lower-cased (they are hop-by-hop too)."""
    tokens: set[str] = set()
    for name, value in headers:
        if name.lower() == "connection":
            tokens.update(t.strip().lower() for t in value.split(",") if t.strip())
    return tokens


def _hop_by_hop(lower: str, listed: set[str]) -> bool:
    return lower in HOP_BY_HOP or lower in listed or lower.startswith("proxy-")


def upstream_request_headers(
    headers: Iterable[tuple[str, str]],
    *,
    request_id: str,
    client_addr: str,
    scheme: str,
    host: str,
    principal: Mapping[str, str],
) -> list[tuple[bytes, bytes]]:
    """The client's headers as the upstream gets them: cleaned, then the gateway's own added.

    ``principal`` holds the signed principal headers of the caller.
    """
    items = list(headers)
    listed = connection_tokens(items)
    kept = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in items
        if not _hop_by_hop(lower := name.lower(), listed)
        and lower not in _SET_BY_GATEWAY
        and not lower.startswith(_CLIENT_FORBIDDEN_PREFIXES)
    ]
    added = [(REQUEST_ID_HEADER, request_id), ("X-Forwarded-For", client_addr), ("X-Forwarded-Proto", scheme)]
    if host:
        added.append(("X-Forwarded-Host", host))
    added.extend(principal.items())
    return kept + [(name.encode("latin-1"), value.encode("latin-1")) for name, value in added]


def client_response_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """The upstream's response headers as the client gets them (duplicates such as Set-Cookie kept)."""
    items = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
    listed = connection_tokens(items)
    return [
        (name, value)
        for name, value in items
        if not _hop_by_hop(lower := name.lower(), listed) and lower not in _NOT_RELAYED
    ]


def has_dot_segment(path: str) -> bool:
    """Whether ``path`` has a ``.`` or ``..`` segment, which could climb out of ``/api/<service>/``."""
    return any(segment in {".", ".."} for segment in path.split("/"))


def upstream_url(base: str, path_info: str, query_string: str) -> str:
    """``base`` + the request's path (re-encoded from the WSGI string) + its query string as sent."""
    path = quote(path_info.encode("latin-1"), safe="/:@!$&'()*+,;=~")
    return f"{base}{path}?{query_string}" if query_string else f"{base}{path}"


class RequestBody:
    """The client's request body, read from the WSGI input in chunks as it arrives.

    ``expected`` is the client's Content-Length (None when it sent chunked); a body ending short of
    it is the client's fault, and one growing past ``limit`` stops the transfer.
    """

    def __init__(self, stream: IO[bytes], *, limit: int, expected: int | None, chunk_size: int = CHUNK_SIZE):
        self._stream = stream
        self._limit = limit
        self._expected = expected
        self._chunk_size = chunk_size
        self.received = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                chunk = self._stream.read(self._chunk_size)
            except Exception as exc:  # whatever the server raises for a broken body, it is the client's
                raise ClientBodyError(f"{type(exc).__name__}: {exc}") from exc
            if not chunk:
                break
            self.received += len(chunk)
            if self.received > self._limit:
                raise BodyTooLarge(f"request body exceeds {self._limit} bytes")
            yield chunk
        if self._expected is not None and self.received != self._expected:
            raise ClientBodyError(f"request body ended after {self.received} of {self._expected} bytes")


def too_large(limit: int) -> Problem:
    """The 413 answer for a body over ``limit`` bytes."""
    return Problem(
        413,
        "content-too-large",
        "Request body too large",
        f"The request body exceeds the gateway's limit of {limit} bytes.",
        extra={"max_bytes": limit},
    )


class Proxy:
    """Passes the current Flask request on to the upstream that owns it."""

    def __init__(
        self,
        client: httpx.Client,
        upstreams: Mapping[str, str],
        *,
        tokens: TokenVerifier,
        secret: str,
        max_body_bytes: int,
        chunk_size: int = CHUNK_SIZE,
    ):
        self._client = client
        self._upstreams = dict(upstreams)
        self._tokens = tokens
        self._secret = secret
        self._clock = SystemClock()
        self._max_body_bytes = max_body_bytes
        self._chunk_size = chunk_size

    @property
    def services(self) -> tuple[str, ...]:
        """The services requests can be routed to."""
        return tuple(self._upstreams)

    def forward(self, service: str) -> Response:
        """Send the current request to ``service`` and stream its answer back."""
        environ = request.environ
        path_info: str = environ.get("PATH_INFO", "")
        if has_dot_segment(path_info):
            raise Problem(400, "invalid-path", "Invalid path", "Paths may not contain '.' or '..' segments.")
        length = request.content_length
        if length is not None and length > self._max_body_bytes:
            raise too_large(self._max_body_bytes)
        client_addr = request.remote_addr or ""
        principal = self._tokens.principal(request.headers.get("Authorization"), client_addr)

        request_id = current_request_id()
        headers = upstream_request_headers(
            request.headers.items(),
            request_id=request_id,
            client_addr=client_addr,
            scheme=request.scheme,
            host=request.headers.get("Host", ""),
            principal=principal_headers(principal, self._secret, self._clock.now()),
        )
        body: RequestBody | None = None
        if length is not None:
            headers.append((b"Content-Length", str(length).encode("ascii")))
        if length or (length is None and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()):
            # With Content-Length set above, httpx sends the body as is; without it, chunked.
            body = RequestBody(request.stream, limit=self._max_body_bytes, expected=length, chunk_size=self._chunk_size)

        url = upstream_url(self._upstreams[service], path_info, environ.get("QUERY_STRING", ""))
        outgoing = httpx.Request(request.method, url, headers=headers, content=body)
        try:
            upstream = self._client.send(outgoing, stream=True)
        except BodyTooLarge:
            raise too_large(self._max_body_bytes) from None
        except ClientBodyError as exc:
            log.info("client request body broken off: %s", exc)
            raise Problem(
                400, "incomplete-body", "Incomplete request body", "The request body could not be read to its end."
            ) from None
        except httpx.TimeoutException as exc:
            log.warning("upstream %s timed out: %s: %s", service, type(exc).__name__, exc)
            raise Problem(
                504, "upstream-timeout", "Upstream timeout", f"The {service} service did not answer in time."
            ) from None
        except httpx.TransportError as exc:
            log.warning("upstream %s unavailable: %s: %s", service, type(exc).__name__, exc)
            raise Problem(
                502, "upstream-unavailable", "Upstream unavailable", f"The {service} service cannot be reached."
            ) from None

        response = Response(
            _relay(upstream, service, request_id),
            status=upstream.status_code,
            headers=client_response_headers(upstream.headers.raw),
        )
        if "content-type" not in upstream.headers:
            del response.headers["Content-Type"]  # Flask adds text/html; the upstream said nothing
        return response


def _relay(upstream: httpx.Response, service: str, request_id: str) -> Iterator[bytes]:
    """The upstream's body as it arrives; the upstream connection is released however this ends.

    It runs after the Flask request has been torn down, so it binds the request id for its logs.
    A failure part-way cannot change the status any more: it is raised so that the server cuts the
    client's connection instead of ending the body cleanly, and the client sees it is incomplete.
    """
    try:
        yield from upstream.iter_raw()
    except httpx.HTTPError as exc:
        with logs.bound(request_id=request_id, correlation_id=request_id):
            log.warning("upstream %s broke off the response: %s: %s", service, type(exc).__name__, exc)
        raise UpstreamBrokeOff(f"{service}: {type(exc).__name__}") from exc
    finally:
        upstream.close()
