"""What the use cases need from the process: the unit of work, the clock, storage, settings, data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chassis.db import UnitOfWork
from chassis.registry_calendar import OpeningHours
from chassis.service import Runtime
from chassis.storage import DocumentStore
from filing.config import FilingSettings
from filing.domain.catalogue import Catalogue


@dataclass
class Deps:
    """Filing's wired dependencies, built once per process by ``bootstrap``."""

    runtime: Runtime
    settings: FilingSettings
    catalogue: Catalogue
    hours: OpeningHours

    def unit_of_work(self) -> UnitOfWork:
        return self.runtime.unit_of_work()

    def now(self) -> datetime:
        return self.runtime.clock.now()

    @property
    def store(self) -> DocumentStore:
        assert self.runtime.store is not None, "filing is configured with storage"
        return self.runtime.store
