"""A wired filing service on a test's own database, vhost and bucket; callers stand in for the
gateway with signed principals, and identity's and payments' events are delivered as the consumer
would deliver them."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import form_examples
import pdf_samples
import sqlalchemy as sa
from werkzeug.test import TestResponse

from chassis.clock import FixedClock, iso
from chassis.service import ServiceSettings
from chassis.testing.service_world import Caller, ServiceWorld
from filing.adapters import tables
from filing.bootstrap import bootstrap, wire
from filing.entrypoints.http import create_app
from filing.service_layer.deps import Deps

API = "/api/filing/v1"
#: Monday 23 November 2026, 10:00 in Hong Kong: the registry is open.
OPEN_MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


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

    def order_for(self, filing: dict[str, Any], amount_cents: int = 63_000) -> str:
        order_id = str(uuid.uuid4())
        self.deliver(
            self.event(
                "payments.order.created",
                order_id,
                order_id=order_id,
                reference_type="filing",
                reference_id=filing["filing_id"],
                payer_account_id=filing["submitted_by_account_id"],
                court="DC",
                amount_cents=amount_cents,
                currency="HKD",
                lines=[],
                expires_at=iso(self.clock.now().replace(year=self.clock.now().year + 1)),
                aggregate_version=1,
            )
        )
        return order_id

    def pay(
        self, filing: dict[str, Any], order_id: str, at: datetime | None = None, amount_cents: int = 63_000
    ) -> None:
        paid = at or self.clock.now()
        self.deliver(
            self.event(
                "payments.order.paid",
                order_id,
                order_id=order_id,
                reference_type="filing",
                reference_id=filing["filing_id"],
                amount_cents=amount_cents,
                currency="HKD",
                method="deposit_account",
                paid_at=iso(paid),
                deemed_paid_at=iso(paid),
                receipt_number="R-2026-000001",
                aggregate_version=2,
            )
        )

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

    def objects(self) -> list[str]:
        store = self.deps.store
        return [o.object_name for o in store.client.list_objects(store.bucket, recursive=True)]
