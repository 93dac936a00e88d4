"""What the use cases need from the process: the unit of work, the clock, storage, settings, data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chassis.db import UnitOfWork
from chassis.registry_calendar import OpeningHours
from chassis.service import Runtime
from chassis.storage import DocumentStore
from payments.adapters.providers import Provider
from payments.config import PaymentsSettings
from payments.domain.fees import FeeSchedule


@dataclass
class Deps:
    """Payments's wired dependencies, built once per process by ``bootstrap``."""

    runtime: Runtime
    settings: PaymentsSettings
    fees: FeeSchedule
    hours: OpeningHours
    provider: Provider

    def unit_of_work(self) -> UnitOfWork:
        return self.runtime.unit_of_work()

    def now(self) -> datetime:
        return self.runtime.clock.now()

    @property
    def store(self) -> DocumentStore:
        assert self.runtime.store is not None, "payments is configured with storage"
        return self.runtime.store
