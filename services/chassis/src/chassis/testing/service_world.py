"""A service running in-process for integration tests: callers the gateway vouches for, calls signed
as the gateway signs them, and events delivered as the consumer delivers them. Each service's test
world builds on this, so the mechanics of standing in for the gateway and the consumer live once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from chassis.clock import FixedClock
from chassis.messaging.envelope import Envelope, new_event
from chassis.service import Runtime
from chassis.web.principal import Principal, principal_headers

#: Where every test caller (and the anonymous one) appears to call from.
CLIENT_IP = "203.0.113.9"
#: The account type behind each external role; any other role is court staff.
ACCOUNT_TYPES = {"IU": "individual", "OU": "organisation", "PA": "organisation", "SA": "organisation"}


@dataclass(frozen=True)
class Caller:
    """Someone the gateway vouches for."""

    principal: Principal

    @property
    def id(self) -> str:
        return self.principal.subject or ""


def make_caller(role: str, organisation: str | None = None) -> Caller:
    """A fresh account of ``role`` (in ``organisation``, if any), on a session of its own."""
    return Caller(
        Principal(
            subject=str(uuid.uuid4()),
            account_type=ACCOUNT_TYPES.get(role, "staff"),
            roles=(role,),
            organisation=organisation,
            branch=None,
            session=str(uuid.uuid4()),
            expires_at=None,
            client_ip=CLIENT_IP,
        )
    )


class ServiceWorld:
    """Calls into a wired service's app under ``api`` and events into its handlers, on ``clock``."""

    caller = staticmethod(make_caller)

    def __init__(self, runtime: Runtime, clock: FixedClock, secret: str, client: FlaskClient, api: str) -> None:
        self.runtime = runtime
        self.clock = clock
        self.secret = secret
        self.client = client
        self.api = api

    # Calls ----------------------------------------------------------------------------------------------

    def headers(self, who: Caller | None, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The gateway's signed principal headers for ``who`` (anonymous for None), plus ``extra``."""
        principal = who.principal if who else Principal.anonymous(CLIENT_IP)
        return {**principal_headers(principal, self.secret, self.clock.now()), **(extra or {})}

    def call(
        self, method: str, path: str, who: Caller | None = None, *, headers: dict[str, str] | None = None, **kw: Any
    ) -> TestResponse:
        return self.client.open(f"{self.api}{path}", method=method, headers=self.headers(who, headers), **kw)

    def ok(self, method: str, path: str, who: Caller | None = None, status: int = 200, **kw: Any) -> dict[str, Any]:
        """The JSON answer of a call that must answer ``status``."""
        response = self.call(method, path, who, **kw)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    # Events ---------------------------------------------------------------------------------------------

    def event(self, type_: str, subject: str, **data: Any) -> Envelope:
        """An event as the service named by ``type_``'s first part would publish it, now."""
        return new_event(type_, data, source=f"/{type_.split('.')[0]}", subject=subject, clock=self.clock)

    def deliver(self, envelope: Envelope) -> None:
        """Run the service's handler for ``envelope`` in a unit of work of its own, as the consumer would."""
        self.runtime.registry.validate(envelope.to_dict())
        handler = self.runtime.description.handlers[envelope.routing_key]
        with self.runtime.unit_of_work() as uow:
            handler(envelope, uow)
            uow.commit()
