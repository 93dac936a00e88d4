"""The gateway's readiness: every upstream's ``/health/ready``, asked concurrently.

The gateway is public, so its answer says which services (and which of their dependencies) are up
or down, and nothing more: error texts name internal hosts and ports, so they go to the log, and
operators read the details from each service's own readiness endpoint on the internal network.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from chassis.web.app import REQUEST_ID_HEADER

SERVICE = "gateway"

log = logging.getLogger(__name__)


class UpstreamHealth:
    """Asks each upstream whether it is ready and summarises the answers in the chassis's shape."""

    def __init__(self, client: httpx.Client, upstreams: Mapping[str, str], *, timeout: float):
        self._client = client
        self._upstreams = dict(upstreams)
        self._timeout = timeout

    def report(self, request_id: str) -> tuple[dict[str, Any], int]:
        """``({"service", "status", "checks"}, 200 | 503)``; 200 only when every upstream is ready."""
        pool = concurrent.futures.ThreadPoolExecutor(len(self._upstreams), thread_name_prefix="gateway-health")
        try:
            futures = {name: pool.submit(self._probe, base, request_id) for name, base in self._upstreams.items()}
            # Each probe has its own timeouts; this bounds an upstream that trickles its answer.
            concurrent.futures.wait(futures.values(), timeout=self._timeout + 1.0)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        checks: dict[str, dict[str, Any]] = {}
        for name, future in futures.items():
            if future.done():
                checks[name] = future.result()
            else:
                log.warning("readiness of %s: no answer within %ss", name, self._timeout)
                checks[name] = {"status": "down", "error": "timeout"}
        healthy = all(check["status"] == "up" for check in checks.values())
        body = {"service": SERVICE, "status": "ready" if healthy else "unready", "checks": checks}
        return body, 200 if healthy else 503

    def _probe(self, base: str, request_id: str) -> dict[str, Any]:
        try:
            answer = self._client.get(
                f"{base}/health/ready", headers={REQUEST_ID_HEADER: request_id}, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            log.warning("readiness of %s: %s: %s", base, type(exc).__name__, exc)
            return {"status": "down", "error": "timeout" if isinstance(exc, httpx.TimeoutException) else "unreachable"}
        try:
            document = answer.json()
        except ValueError:
            document = None
        result: dict[str, Any] = {"status": "down", "http_status": answer.status_code}
        if isinstance(document, dict):
            if answer.status_code == 200 and document.get("status") == "ready":
                result["status"] = "up"
            if isinstance(document.get("checks"), dict):
                result["checks"] = {
                    name: {"status": "up" if isinstance(check, dict) and check.get("status") == "up" else "down"}
                    for name, check in document["checks"].items()
                }
        if result["status"] == "down":
            result["error"] = f"answered {answer.status_code}" + ("" if document is not None else " (not JSON)")
        return result
