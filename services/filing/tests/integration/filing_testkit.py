"""A wired filing service on a test's own database, vhost and bucket; callers stand in for the
gateway with signed principals, and identity's and payments' events are delivered as the consumer
would deliver them."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any

import form_examples
import pdf_samples
import sqlalchemy as sa
from werkzeug.test import TestResponse

from chassis.clock import FixedClock, iso
from chassis.service import ServiceSettings
from chassis.testing.infra import scratch_database
from chassis.testing.s3 import remove_bucket
from chassis.testing.service_world import CLIENT_IP, Caller, ServiceWorld
from chassis.testing.skeleton import settings_for
from chassis.web.principal import Principal
from filing.adapters import tables
from filing.bootstrap import bootstrap, wire
from filing.domain import drn
from filing.domain.access import SEARCH_SERVICE
from filing.entrypoints.http import create_app
from filing.service_layer import review
from filing.service_layer.deps import Deps

API = "/api/filing/v1"
#: Monday 23 November 2026, 10:00 in Hong Kong: the registry is open.
OPEN_MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def search_service() -> Caller:
    """The search service as it calls filing's export: a principal it signs itself, with the role
    ``search_service`` and no account behind it (its subject names the service, not a UUID)."""
    return Caller(Principal("service:search", "service", (SEARCH_SERVICE,), None, None, None, None, CLIENT_IP))


class World(ServiceWorld):
    """Filing running in-process, with a clock the test moves."""

    def __init__(self, settings: ServiceSettings, at: datetime = OPEN_MONDAY) -> None:
        clock = FixedClock(at)
        runtime = bootstrap(settings, clock=clock)
        runtime.migrate()
        self.deps: Deps = wire(runtime)
        self.app = create_app(runtime)
        super().__init__(runtime, clock, settings.gateway_secret, self.app.test_client(), API)

    def close(self) -> None:
        self.runtime.engine.dispose()

    # People ---------------------------------------------------------------------------------------------

    def firm(self, name: str) -> str:
        """An organisation identity has announced; its id."""
        organisation_id = str(uuid.uuid4())
        self.deliver(
            self.event(
                "identity.organisation.created",
                organisation_id,
                organisation_id=organisation_id,
                name=name,
                organisation_type="law_firm",
                business_registration_number="61234567",
                aggregate_version=1,
            )
        )
        return organisation_id

    # Calls ----------------------------------------------------------------------------------------------

    def start_case(self, who: Caller, case_type: str = "DCPI", form: dict[str, Any] | None = None) -> dict[str, Any]:
        form = form or getattr(form_examples, f"writ_{case_type.lower()}")()
        return self.ok("POST", "/cases", who, 201, json={"case_type": case_type, "form": form})["cases"][0]

    def file(
        self,
        who: Caller,
        metadata: dict[str, Any],
        lead: bytes | None = None,
        connected: list[bytes] = (),  # type: ignore[assignment]
        *,
        key: str | None = None,
    ) -> TestResponse:
        data: dict[str, Any] = {
            "metadata": json.dumps(metadata),
            "lead": (io.BytesIO(lead if lead is not None else pdf_samples.pdf_bytes(2, "Defence")), "lead.pdf"),
        }
        if connected:
            data["connected"] = [(io.BytesIO(b), f"exhibit-{n}.pdf") for n, b in enumerate(connected)]
        headers = {"Idempotency-Key": key} if key else None
        return self.call("POST", "/filings", who, headers=headers, data=data, content_type="multipart/form-data")

    # Events ---------------------------------------------------------------------------------------------

    def assign(self, case_id: str, organisation: str, *accounts: Caller, version: int = 1) -> None:
        self.deliver(
            self.event(
                "identity.case_assignment.changed",
                f"{case_id}:{organisation}",
                case_id=case_id,
                case_number=self.case_number(case_id),
                organisation_id=organisation,
                account_ids=[a.id for a in accounts],
                added=[a.id for a in accounts],
                removed=[],
                changed_by=None,
                aggregate_version=version,
            )
        )

    def order_created(
        self, reference_type: str, reference_id: str, payer_account_id: str | None, amount_cents: int
    ) -> str:
        """Payments' order for a filing's or an inspection's fee, as ``payments.order.created``; its id."""
        order_id = str(uuid.uuid4())
        self.deliver(
            self.event(
                "payments.order.created",
                order_id,
                order_id=order_id,
                reference_type=reference_type,
                reference_id=reference_id,
                payer_account_id=payer_account_id,
                court="DC",
                amount_cents=amount_cents,
                currency="HKD",
                lines=[],
                expires_at=iso(self.clock.now().replace(year=self.clock.now().year + 1)),
                aggregate_version=1,
            )
        )
        return order_id

    def order_paid(
        self, reference_type: str, reference_id: str, order_id: str, amount_cents: int, method: str, paid: datetime
    ) -> None:
        """``payments.order.paid`` for the order."""
        self.deliver(
            self.event(
                "payments.order.paid",
                order_id,
                order_id=order_id,
                reference_type=reference_type,
                reference_id=reference_id,
                amount_cents=amount_cents,
                currency="HKD",
                method=method,
                paid_at=iso(paid),
                deemed_paid_at=iso(paid),
                receipt_number="R-2026-000001",
                aggregate_version=2,
            )
        )

    def order_for(self, filing: dict[str, Any], amount_cents: int = 63_000) -> str:
        return self.order_created("filing", filing["filing_id"], filing["submitted_by_account_id"], amount_cents)

    def pay(
        self, filing: dict[str, Any], order_id: str, at: datetime | None = None, amount_cents: int = 63_000
    ) -> None:
        self.order_paid(
            "filing", filing["filing_id"], order_id, amount_cents, "deposit_account", at or self.clock.now()
        )

    # Inspections ----------------------------------------------------------------------------------------

    def request_inspection(self, document_id: str, who: Caller | None = None) -> dict[str, Any]:
        """``POST /inspections`` for the document; the 201 answer (with its token when ``who`` is None)."""
        return self.ok("POST", "/inspections", who, 201, json={"document_id": document_id})

    def inspection_order(self, inspection: dict[str, Any], amount_cents: int = 1_400) -> str:
        """Payments' order for the inspection's fee; the order's id."""
        return self.order_created(
            "inspection", inspection["inspection_id"], inspection["requested_by_account_id"], amount_cents
        )

    def pay_inspection(self, inspection: dict[str, Any], order_id: str, amount_cents: int = 1_400) -> None:
        """``payments.order.paid`` for the inspection's order, paid now by card."""
        self.order_paid("inspection", inspection["inspection_id"], order_id, amount_cents, "card", self.clock.now())

    def paid_inspection(self, document_id: str, who: Caller | None = None) -> dict[str, Any]:
        """An inspection of the document asked for by ``who`` (anonymous: None) and paid: the 201 answer."""
        inspection = self.request_inspection(document_id, who)
        self.pay_inspection(inspection, self.inspection_order(inspection))
        return inspection

    # Rows made without the API ---------------------------------------------------------------------------
    # TEST-ONLY. Filing takes no e-filing of HCMA/HCCP/HCZZ cases (no form starts them), so such a case is
    # inserted as a paper start would leave it. An issued document is inserted as issuing leaves it but
    # without stamping, for the many tests about who reads a document rather than how it is made
    # (``issue`` below goes through POST /cases/{id}/issued-documents).

    def case_without_efiling(
        self, case_type: str, plaintiff: Caller, *, originating_public: bool = True
    ) -> dict[str, str]:
        """A case of a type that has no e-filing form (e.g. HCMA), started on paper by ``plaintiff`` (IU,
        in person) against a defendant, with its originating document accepted as docket entry 1.

        ``originating_public`` sets the document's own flag regardless of the case type, so a test can
        show the case type alone keeps the public out. The answer: case_id, case_number, document_id.
        """
        case_type_of = self.deps.catalogue.case_types[case_type]
        now = self.clock.now()
        content = pdf_samples.pdf_bytes(1, f"{case_type} originating summons")
        case_id, filing_id, document_id = (str(uuid.uuid4()) for _ in range(3))
        stored = self.deps.store.put_stream(
            io.BytesIO(content), key=f"cases/{case_id}/filings/{uuid.uuid4().hex}", content_type="application/pdf"
        )
        with self.deps.unit_of_work() as uow:
            db = uow.session
            number = 1 + (db.scalar(sa.select(sa.func.count()).where(tables.Case.prefix == case_type)) or 0)
            year = now.year
            case_number = f"{case_type} {number}/{year}"
            db.add(
                tables.Case(
                    id=case_id, case_number=case_number, prefix=case_type, year=year, number=number,
                    court=case_type_of.court, title=f"Re an application of {case_type} {number}", status="open",
                    filed_at=now, filed_by_account_id=plaintiff.id, last_document_number=1, sealed=False, version=1,
                )
            )  # fmt: skip
            db.flush()
            for seq, (role, name, account) in enumerate(
                [("plaintiff", "Wong Siu Ming", plaintiff.id), ("defendant", "Lee Tai Man", None)]
            ):
                db.add(
                    tables.Party(
                        id=str(uuid.uuid4()), case_id=case_id, seq=seq, role=role, name=name, kind="individual",
                        account_id=account,
                    )
                )  # fmt: skip
            db.add(
                tables.Filing(
                    id=filing_id, reference=f"EF-{now:%Y%m%d}-{uuid.uuid4().hex[:6].upper()}", case_id=case_id,
                    kind="originating", channel="paper", status="accepted", title="Originating summons",
                    submitted_by_account_id=plaintiff.id, on_behalf_of=[], submitted_at=now, documents_in_at=now,
                    fee_items=[], awaiting_payment=False, deemed_received_at=now, reviewed_at=now, docket_number=1,
                    version=1,
                )
            )  # fmt: skip
            db.flush()
            db.add(
                tables.Document(
                    id=document_id, filing_id=filing_id, case_id=case_id, seq=0, role="lead",
                    document_type="writ_of_summons", title="Originating summons", filename="originating.pdf",
                    object_key=stored.key, size=stored.size, sha256=stored.sha256, pages=1,
                    public_inspection=originating_public, text_status="none", sealed=False,
                )
            )  # fmt: skip
            db.add(
                tables.DocketEntry(
                    case_id=case_id, number=1, filing_id=filing_id, title="Originating summons",
                    filed_by="Wong Siu Ming", deemed_received_at=now, entered_at=now,
                )
            )  # fmt: skip
            uow.commit()
        return {"case_id": case_id, "case_number": case_number, "document_id": document_id}

    def issued_document(
        self, case_id: str, kind: str = "order", *, title: str | None = None, public_inspection: bool | None = None
    ) -> dict[str, Any]:
        """A court-issued document in the case, original and stamped copy both in the bucket.

        ``public_inspection`` defaults as issuing decides it: open for sealed originating documents,
        orders and judgments, in case types open to inspection. The answer: document_id, drn, and the
        bytes of both copies (``original``, ``stamped``) so a test can check what a download gives.
        """
        document_id = str(uuid.uuid4())
        title = title or kind.replace("_", " ").capitalize()
        number = drn.new_drn()
        original = pdf_samples.pdf_bytes(1, title)
        stamped = pdf_samples.pdf_bytes(1, f"{title} DRN {number}")
        key = f"cases/{case_id}/issued/{document_id}"
        kept = {
            name: self.deps.store.put_stream(io.BytesIO(content), key=k, content_type="application/pdf")
            for name, content, k in (("original", original, key), ("stamped", stamped, f"{key}-stamped"))
        }
        with self.deps.unit_of_work() as uow:
            case = uow.session.get(tables.Case, case_id)
            assert case is not None
            if public_inspection is None:
                public_inspection = (
                    kind in ("sealed_originating", "order", "judgment")
                    and self.deps.catalogue.case_types[case.prefix].public_inspection
                )
            uow.session.add(
                tables.IssuedDocument(
                    id=document_id, drn=number, case_id=case_id, kind=kind, title=title,
                    filename=f"{kind}.pdf", public_inspection=public_inspection, sealed=False,
                    original_key=kept["original"].key, original_size=kept["original"].size,
                    original_sha256=kept["original"].sha256, stamped_key=kept["stamped"].key,
                    stamped_size=kept["stamped"].size, stamped_sha256=kept["stamped"].sha256, pages=1, details={},
                    issued_by_account_id=str(uuid.uuid4()), issued_at=self.clock.now(), text_status="none",
                    version=1,
                )
            )  # fmt: skip
            uow.commit()
        return {"document_id": document_id, "drn": number, "original": original, "stamped": stamped}

    # Issuing --------------------------------------------------------------------------------------------

    def issue_call(
        self, who: Caller | None, case_id: str, metadata: dict[str, Any], content: bytes | None = None
    ) -> TestResponse:
        """``POST /cases/{id}/issued-documents`` with an uploaded PDF (default: a two-page judgment)."""
        data = {
            "metadata": json.dumps(metadata),
            "file": (io.BytesIO(content if content is not None else pdf_samples.pdf_bytes(2, "Judgment")), "j.pdf"),
        }
        return self.call(
            "POST", f"/cases/{case_id}/issued-documents", who, data=data, content_type="multipart/form-data"
        )

    def issue(
        self, who: Caller, case_id: str, template: dict[str, Any] | None = None, **metadata: Any
    ) -> dict[str, Any]:
        """A document issued through the API: from ``template`` (a JSON body) or else uploaded with
        ``metadata`` (default: a judgment); the 201 answer."""
        if template is not None:
            return self.ok("POST", f"/cases/{case_id}/issued-documents", who, 201, json=template)
        response = self.issue_call(who, case_id, {"kind": "judgment", "title": "Judgment", **metadata})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    # Looking inside -------------------------------------------------------------------------------------

    def case_number(self, case_id: str) -> str:
        with self.runtime.engine.connect() as conn:
            return conn.scalar(sa.select(tables.Case.case_number).where(tables.Case.id == case_id)) or ""

    def count(self, table: Any) -> int:
        with self.runtime.engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0

    def outbox_types(self) -> list[str]:
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(sa.select(tables.outbox.c.payload)).all()
        return [json.loads(r[0])["type"] for r in rows]

    def published(self, event_type: str) -> list[dict[str, Any]]:
        """The data of every ``event_type`` event in the outbox, oldest first, each checked against its contract."""
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(sa.select(tables.outbox.c.payload).order_by(tables.outbox.c.id)).all()
        events = [json.loads(row[0]) for row in rows]
        for event in events:
            self.runtime.registry.validate(event)
        return [event["data"] for event in events if event["type"] == event_type]

    def extract_texts(self) -> None:
        """Run the extract-document-text job until nothing waits."""
        while review.extract_pending_text(self.deps):
            pass

    def objects(self) -> list[str]:
        store = self.deps.store
        return [o.object_name for o in store.client.list_objects(store.bucket, recursive=True)]


@contextmanager
def world_of_its_own(
    name: str, postgres_server: str, rabbitmq: Any, s3_client: Any, s3_settings: Any
) -> Iterator[World]:
    """A World on a database, vhost and bucket of its own, for a module-scoped scene (the chassis's own
    fixtures of those live as long as one test)."""
    with ExitStack() as stack:
        vhost = f"t_{uuid.uuid4().hex[:12]}"
        rabbitmq.add_vhost(vhost)
        stack.callback(rabbitmq.delete_vhost, vhost)
        bucket = f"t-{name}-{uuid.uuid4().hex[:12]}"
        s3_client.make_bucket(bucket)
        stack.callback(remove_bucket, s3_client, bucket)
        database = stack.enter_context(scratch_database(postgres_server))
        world = World(settings_for("filing", database, rabbitmq.url(vhost), s3_settings, bucket, uses_storage=True))
        stack.callback(world.close)
        yield world
