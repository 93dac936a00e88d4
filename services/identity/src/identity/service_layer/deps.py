"""What the use cases need from the process: the unit of work, the clock, storage and settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chassis.db import UnitOfWork
from chassis.service import Runtime
from chassis.storage import DocumentStore
from identity.adapters.passwords import Passwords
from identity.config import IdentitySettings


@dataclass
class Deps:
    """Identity's wired dependencies, built once per process by ``bootstrap``."""

    runtime: Runtime
    settings: IdentitySettings
    passwords: Passwords

    def unit_of_work(self) -> UnitOfWork:
        return self.runtime.unit_of_work()

    def now(self) -> datetime:
        return self.runtime.clock.now()

    @property
    def store(self) -> DocumentStore:
        assert self.runtime.store is not None, "identity is configured with storage"
        return self.runtime.store


@dataclass(frozen=True)
class Caller:
    """Who is asking and from where, as the gateway vouched for it."""

    subject: str | None
    session: str | None
    client_ip: str
    request_id: str | None
