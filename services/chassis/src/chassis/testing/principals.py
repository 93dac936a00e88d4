"""Principals for tests: the gateway secret of this test run and the headers the gateway would send."""

from __future__ import annotations

import secrets
from datetime import datetime

from chassis.clock import SystemClock
from chassis.web.principal import Principal, principal_headers

#: Made up afresh for every test run (and passed to the processes a test starts), so no test secret
#: is written down anywhere.
GATEWAY_SECRET = secrets.token_urlsafe(32)


def signed_headers(principal: Principal, now: datetime | None = None) -> dict[str, str]:
    """The principal headers the gateway would send for ``principal`` (signed ``now``, default the wall clock)."""
    return principal_headers(principal, GATEWAY_SECRET, now or SystemClock().now())
