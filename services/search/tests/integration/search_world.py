"""Search wired in-process on a test's own database and vhost, with filing's and identity's events as
their producers publish them, public document text stored in a real S3 bucket and presigned there,
and callers standing in for the gateway with signed principals."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kombu import Connection, Exchange
from prometheus_client import REGISTRY

from chassis.clock import FixedClock, iso
from chassis.messaging.dead_letters import DeadLetter, list_dead_letters
from chassis.messaging.envelope import Envelope
from chassis.service import ServiceSettings
from chassis.storage import DocumentStore
from chassis.testing.polling import wait_until
from chassis.testing.service_world import ServiceWorld
from chassis.worker import run_worker
from search.bootstrap import bootstrap, wire
from search.entrypoints.http import create_app
from search.service_layer.deps import Deps

API = "/api/search/v1"
FILED = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
TEXT_MEDIA_TYPE = "text/plain; charset=utf-8"
COURTS = {"DC": "District Court", "CFI": "Court of First Instance"}


def new_id() -> str:
    return str(uuid.uuid4())


def party(
    name: str,
    role: str = "plaintiff",
    *,
    name_zh: str | None = None,
    account_id: str | None = None,
    firm: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """A party as ``filing.case.updated`` lists it; ``firm`` is (organisation id, name) on the record."""
    return {
        "party_id": new_id(),
        "name": name,
        "name_zh": name_zh,
        "role": role,
        "account_id": account_id,
        "representative": {"organisation_id": firm[0], "name": firm[1]} if firm else None,
    }


def case_data(
    case_number: str,
    *parties: dict[str, Any],
    court: str = "DC",
    version: int = 1,
    case_id: str | None = None,
    title: str | None = None,
    sealed: bool = False,
    filed_at: datetime = FILED,
    docket: list[tuple[str, date]] | None = None,
) -> dict[str, Any]:
    """``filing.case.updated``'s data for a case at ``version``."""
    parties = parties or (party("CHAN Tai Man"), party("Wing Fat Construction Company Limited", "defendant"))
    entries = docket if docket is not None else [("Writ of summons", filed_at.date())]
    return {
        "case_id": case_id or new_id(),
        "case_number": case_number,
        "court": court,
        "court_name": COURTS[court],
        "case_type": case_number.split()[0],
        "title": title or " v. ".join(p["name"] for p in parties[:2]),
        "status": "open",
        "filed_at": iso(filed_at),
        "sealed": sealed,
        "parties": list(parties),
        "docket": [
            {"number": n, "title": entry_title, "filed_on": day.isoformat()}
            for n, (entry_title, day) in enumerate(entries, start=1)
        ],
        "aggregate_version": version,
    }


class World(ServiceWorld):
    """Search running in-process: its app, its handlers, and (with :meth:`running`) its worker."""

    def __init__(self, settings: ServiceSettings, texts: DocumentStore, retry_delays_ms: tuple[int, ...] = ()) -> None:
        clock = FixedClock(datetime.now(UTC))
        runtime = bootstrap(settings, clock=clock)
        if retry_delays_ms:
            # Retries a test can wait for: the delay queues' names carry their delays, so these are
            # queues of their own on the test's vhost.
            topology = dataclasses.replace(runtime.description.topology, retry_delays_ms=retry_delays_ms)
            runtime.description = dataclasses.replace(runtime.description, topology=topology)
        runtime.migrate()
        self.deps: Deps = wire(runtime)
        self.texts = texts
        super().__init__(runtime, clock, settings.gateway_secret, create_app(runtime).test_client(), API)

    def close(self) -> None:
        self.runtime.engine.dispose()

    # Filing's and identity's events ---------------------------------------------------------------------

    def case_updated(self, data: dict[str, Any]) -> Envelope:
        return self.event("filing.case.updated", data["case_id"], **data)

    def case_sealing(self, data: dict[str, Any], sealed: bool, version: int) -> Envelope:
        """``filing.case.sealed`` (or ``unsealed``) of the case ``data`` describes, at ``version``."""
        common = {
            "case_id": data["case_id"],
            "case_number": data["case_number"],
            "court": data["court"],
            "case_type": data["case_type"],
            "reason": "Order of the court",
            "aggregate_version": version,
        }
        who, when = new_id(), iso(self.clock.now())
        if sealed:
            extra = {"sealed_by_account_id": who, "sealed_at": when}
        else:
            extra = {"unsealed_by_account_id": who, "unsealed_at": when}
        return self.event(f"filing.case.{'sealed' if sealed else 'unsealed'}", data["case_id"], **common, **extra)

    def document_published(
        self,
        of: dict[str, Any],
        text: str,
        *,
        title: str = "Judgment",
        kind: str = "judgment",
        dated: date = date(2026, 5, 4),
        version: int = 1,
        document_id: str | None = None,
        public_inspection: bool = True,
        reference: dict[str, Any] | None = None,
    ) -> Envelope:
        """A public document of the case ``of`` describes, its ``text`` stored in S3 and presigned."""
        document_id = document_id or new_id()
        data = {
            "document_id": document_id,
            "source": "issued",
            "case_id": of["case_id"],
            "case_number": of["case_number"],
            "court": of["court"],
            "case_type": of["case_type"],
            "title": title,
            "kind": kind,
            "dated": dated.isoformat(),
            "public_inspection": public_inspection,
            "sealed": False,
            "text": reference or self.stored_text(text),
            "aggregate_version": version,
        }
        return self.event("filing.document.published", document_id, **data)

    def document_sealed(self, published: Envelope, version: int) -> Envelope:
        data = published.data
        return self.event(
            "filing.document.sealed",
            data["document_id"],
            document_id=data["document_id"],
            source=data["source"],
            case_id=data["case_id"],
            case_number=data["case_number"],
            public_inspection=True,
            reason="Order of the court",
            sealed_by_account_id=new_id(),
            sealed_at=iso(self.clock.now()),
            aggregate_version=version,
        )

    def assignment(self, case_id: str, organisation_id: str, account_ids: list[str], version: int) -> Envelope:
        """Identity's whole set of the organisation's users on the case, at ``version``."""
        return self.event(
            "identity.case_assignment.changed",
            f"{case_id}:{organisation_id}",
            case_id=case_id,
            case_number="DCPI 1/2026",
            organisation_id=organisation_id,
            account_ids=account_ids,
            added=account_ids,
            removed=[],
            changed_by=None,
            aggregate_version=version,
        )

    # Text in filing's bucket ----------------------------------------------------------------------------

    def stored_text(self, text: str, *, key: str | None = None, url_seconds: int = 3600) -> dict[str, Any]:
        """``text`` put in the bucket as filing stores extracted text; its reference with a presigned URL."""
        stored = self.texts.put_stream(
            io.BytesIO(text.encode("utf-8")), key=key or f"texts/{uuid.uuid4().hex}.txt", content_type=TEXT_MEDIA_TYPE
        )
        return self.reference(stored.key, text, url_seconds=url_seconds)

    def reference(self, key: str, text: str, *, url_seconds: int = 3600, signed_at: datetime | None = None) -> dict:
        """A reference to ``key`` vouching for ``text``, with a URL signed ``signed_at`` (default now)."""
        body = text.encode("utf-8")
        expires = timedelta(seconds=url_seconds)
        url = self.texts.signer.presigned_get_object(self.texts.bucket, key, expires=expires, request_date=signed_at)
        return {
            "key": key,
            "sha256": hashlib.sha256(body).hexdigest(),
            "size": len(body),
            "media_type": TEXT_MEDIA_TYPE,
            "url": url,
            "url_expires_at": iso((signed_at or datetime.now(UTC)) + expires),
        }

    # The broker -----------------------------------------------------------------------------------------

    @contextmanager
    def running(self) -> Iterator[World]:
        """Search's worker (relay and consumer) running until the block ends."""
        stop = threading.Event()
        worker = threading.Thread(target=run_worker, args=(self.runtime.relay(), self.runtime.consumer(), stop))
        worker.start()
        try:
            # Publish only once the consumer listens: the chassis's consumer leaves a message
            # delivered while it registers (a backlog of fewer than its prefetch) unhandled until
            # another one arrives (see search's README, "Known limits").
            wait_until(lambda: all(self._consumer_counts()), timeout=30, what="search's consumer on its queues")
            yield self
        finally:
            stop.set()
            worker.join(timeout=30)
            assert not worker.is_alive(), "the worker did not stop"
            # The broker forgets a closed connection's consumers a moment later; until it has, the next
            # test's wait above could take them for its own worker's.
            wait_until(lambda: not any(self._consumer_counts()), timeout=30, what="the worker's consumers to go")

    def _consumer_counts(self) -> list[int]:
        """How many consumers each of search's queues has, as the broker sees it."""
        with Connection(self.runtime.settings.amqp_url) as conn:
            channel = conn.channel()
            return [
                channel.queue_declare(queue, passive=True).consumer_count
                for queue in self.runtime.description.topology.queues
            ]

    def publish(self, *envelopes: Envelope) -> None:
        """Publish on each producer's exchange, as filing's and identity's relays would."""
        with Connection(self.runtime.settings.amqp_url) as conn:
            producer = conn.Producer()
            for envelope in envelopes:
                exchange = Exchange(f"{envelope.producer}.events", type="topic", durable=True)
                producer.publish(
                    envelope.to_json(),
                    exchange=exchange,
                    routing_key=envelope.routing_key,
                    content_type="application/json",
                    message_id=envelope.id,
                    delivery_mode=2,
                    declare=[exchange],
                )

    def dead_letters(self, queue: str = "search.filing") -> list[DeadLetter]:
        return list_dead_letters(self.runtime.settings.amqp_url, self.runtime.description.topology, queue)

    # Reading search -------------------------------------------------------------------------------------

    def cause_book(self, **params: Any) -> list[dict[str, Any]]:
        return self.ok("GET", "/cause-book", query_string=params)["items"]

    def documents(self, **params: Any) -> list[dict[str, Any]]:
        return self.ok("GET", "/documents", query_string=params)["items"]


def consumed(event_type: str, outcome: str, queue: str = "search.filing") -> float:
    """How many ``event_type`` messages search's consumer has ended with ``outcome`` in this process."""
    labels = {"service": "search", "queue": queue, "type": event_type, "outcome": outcome}
    return REGISTRY.get_sample_value("icms_messages_consumed_total", labels) or 0.0
