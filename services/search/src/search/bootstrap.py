"""The one place search's processes are wired."""

from __future__ import annotations

from chassis.clock import Clock
from chassis.messaging.consumer import Handler
from chassis.service import Runtime, ServiceDescription, ServiceSettings
from search import config
from search.adapters import tables
from search.adapters.document_text import TextFetcher
from search.adapters.store import make_store
from search.config import SearchSettings
from search.domain.case_types import shipped_rules
from search.service_layer import handlers as events
from search.service_layer.deps import Deps
from search.topology import topology


def description(handlers: dict[str, Handler] | None = None) -> ServiceDescription:
    """Search as the chassis sees it: tables, topology, handlers."""
    return ServiceDescription(
        name=config.SERVICE,
        package="search",
        metadata=tables.metadata,
        outbox_table=tables.outbox,
        inbox_table=tables.inbox,
        topology=topology(),
        handlers=handlers if handlers is not None else {},
    )


def bootstrap(settings: ServiceSettings | None = None, clock: Clock | None = None) -> Runtime:
    """Wire search from ``settings`` (default: the environment), its event handlers included."""
    handlers: dict[str, Handler] = {}
    runtime = Runtime(description(handlers), settings or config.load(), clock)
    handlers.update(events.handlers(wire(runtime)))
    return runtime


def wire(runtime: Runtime, settings: SearchSettings | None = None) -> Deps:
    """What search's use cases need, on ``runtime``; search's own settings from the environment."""
    settings = settings or config.load_search(service=runtime.settings)
    rules = shipped_rules()
    return Deps(
        settings=settings,
        store=make_store(runtime.engine, rules),
        rules=rules,
        texts=TextFetcher(settings.text_max_bytes, settings.text_fetch_seconds),
    )
