"""Filing's and identity's events as search takes them in, one handler per event type.

Each runs inside the consumer's unit of work, so its writes commit together with the message's inbox
row (a redelivered message changes nothing twice) and the store's version guards drop anything older
than what is held. While ``search rebuild`` builds new read models, each event is applied to them as
well as to the serving ones, so none is lost when the rebuild switches. Data the schema let through
but search cannot read (say, a case number it cannot parse) is refused for good: retrying the same
message cannot help.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chassis.db import UnitOfWork
from chassis.messaging.consumer import Handler, PermanentError
from chassis.messaging.envelope import Envelope
from search.adapters.generations import Rebuilding, rebuild_running
from search.adapters.store import Db
from search.service_layer import projection
from search.service_layer.deps import Deps
from search.service_layer.public_text import text_of


@contextmanager
def _readable(envelope: Envelope) -> Iterator[None]:
    try:
        yield
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError(f"{envelope.type} {envelope.id}: data search cannot read: {exc!r}") from exc


def _targets(uow: UnitOfWork) -> list[Db]:
    """The serving read models, and a rebuild's new ones while it builds them."""
    return [uow.session, Rebuilding(uow.session)] if rebuild_running(uow.session) else [uow.session]


def case_updated(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """A case's whole public-facing state: the cause book's entry and who of its parties sees it."""
    with _readable(envelope):
        for db in _targets(uow):
            projection.project_case(deps.store, db, envelope.data)


def case_sealed(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """The case and everything of it leave search at once, before any fuller state arrives."""
    for db in _targets(uow):
        projection.project_sealing(deps.store, db, envelope.data, sealed=True)


def case_unsealed(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    for db in _targets(uow):
        projection.project_sealing(deps.store, db, envelope.data, sealed=False)


def document_published(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """A public document with its text, fetched by reference unless a newer state is already held
    (a late older event must not fetch, nor fail on an expired URL, for nothing)."""
    data = envelope.data
    behind = [db for db in _targets(uow) if _older(deps.store.document_version(db, data["document_id"]), data)]
    if not behind:
        return
    text = text_of(deps.texts, deps.rules, data)
    with _readable(envelope):
        for db in behind:
            projection.project_document(deps.store, db, data, text)


def _older(held: int | None, data: dict[str, Any]) -> bool:
    return held is None or held < data["aggregate_version"]


def document_sealed(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """The document leaves search at once."""
    for db in _targets(uow):
        projection.project_withdrawal(deps.store, db, envelope.data)


def case_assignment_changed(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """The members of a firm assigned to the case see it in "my cases"."""
    for db in _targets(uow):
        projection.project_assignment(deps.store, db, envelope.data)


_BY_TYPE: dict[str, Callable[[Deps, Envelope, UnitOfWork], None]] = {
    "filing.case.updated.v1": case_updated,
    "filing.case.sealed.v1": case_sealed,
    "filing.case.unsealed.v1": case_unsealed,
    "filing.document.published.v1": document_published,
    "filing.document.sealed.v1": document_sealed,
    "identity.case_assignment.changed.v1": case_assignment_changed,
}


def handlers(deps: Deps) -> dict[str, Handler]:
    """Every handler, by routing key, bound to ``deps``."""

    def bind(handle: Callable[[Deps, Envelope, UnitOfWork], None]) -> Handler:
        return lambda envelope, uow: handle(deps, envelope, uow)

    return {routing_key: bind(handle) for routing_key, handle in _BY_TYPE.items()}
