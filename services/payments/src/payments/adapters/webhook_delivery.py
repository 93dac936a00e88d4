"""How the sandbox provider sends a webhook: an HTTP POST with the standard library, so no client library is
a runtime dependency, and with a timeout, so a hung endpoint only delays the delivery job."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping

TIMEOUT_SECONDS = 10


def post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    """POST ``body`` to ``url``: the response's status, an error status too; a network failure raises ``OSError``."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"webhooks go to http(s) URLs, not {url!r}")
    # The scheme is checked above, which is what S310 asks for.
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code
