"""The sandbox provider: a hosted payment page and signed webhooks, as a real card/PPS provider offers.

The payer is sent to the sandbox's checkout page (served by this process under
``/providers/sandbox/checkout/<session>``), chooses approve, decline or walk away, and is sent back to
the return URL. The sandbox then owes the service a webhook, kept in ``sandbox_webhooks`` and delivered
(with retries) by a worker job, signed like Stripe's: header ``Sandbox-Signature: t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<body>">``. Its sessions and webhooks live in payments's database only because a
sandbox has nowhere else to live; the service touches them solely through this class.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from chassis.clock import iso
from payments.adapters.providers import BadSignature, Checkout, CheckoutRequest, WebhookEvent
from payments.adapters.tables import SandboxSession, SandboxWebhook

SIGNATURE_HEADER = "Sandbox-Signature"
#: Seconds a signed webhook stays acceptable; older ones may be replays.
TOLERANCE_SECONDS = 300
CHECKOUT_PATH = "/api/payments/v1/providers/sandbox/checkout"
WEBHOOK_PATH = "/api/payments/v1/providers/sandbox/webhook"
APPROVED, DECLINED, ABANDONED, OPEN, REFUNDED = "approved", "declined", "abandoned", "open", "refunded"


def sign(secret: str, body: bytes, at: datetime) -> str:
    """The signature header's value for ``body`` sent at ``at``."""
    timestamp = int(at.timestamp())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class SandboxProvider:
    name = "sandbox"

    def __init__(self, public_url: str, secret: str) -> None:
        self.public_url = public_url
        self.secret = secret

    @property
    def webhook_url(self) -> str:
        return self.public_url + WEBHOOK_PATH

    def start(self, db: Session, request: CheckoutRequest, now: datetime) -> Checkout:
        session_id = "cs_" + secrets.token_urlsafe(24)
        db.add(
            SandboxSession(
                id=session_id,
                payment_id=request.payment_id,
                method=request.method,
                card_brand=request.card_brand,
                amount_cents=request.amount_cents,
                currency=request.currency,
                description=request.description[:300],
                return_url=request.return_url,
                status=OPEN,
                created_at=now,
            )
        )
        return Checkout(session_id, f"{self.public_url}{CHECKOUT_PATH}/{session_id}")

    def decide(self, db: Session, session: SandboxSession, outcome: str, now: datetime) -> None:
        """The payer's choice on the hosted page; approve and decline owe the service a webhook, walking away none."""
        session.status = {"approve": APPROVED, "decline": DECLINED, "timeout": ABANDONED}[outcome]
        session.decided_at = now
        if session.status == ABANDONED:
            return
        event_id = "evt_" + uuid.uuid4().hex
        payload: dict[str, Any] = {
            "id": event_id,
            "type": "checkout.session.completed",
            "session_id": session.id,
            "payment_id": session.payment_id,
            "outcome": session.status,
            "provider_payment_ref": "pi_" + uuid.uuid4().hex[:24] if session.status == APPROVED else None,
            "amount_cents": session.amount_cents,
            "currency": session.currency,
            "occurred_at": iso(now),
        }
        db.add(
            SandboxWebhook(
                event_id=event_id,
                session_id=session.id,
                body=json.dumps(payload, separators=(",", ":")),
                attempts=0,
                next_attempt_at=now,
            )
        )

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> WebhookEvent:
        fields = dict(part.split("=", 1) for part in (headers.get(SIGNATURE_HEADER) or "").split(",") if "=" in part)
        try:
            timestamp = int(fields["t"])
            given = fields["v1"]
            # A time no datetime can hold is as malformed as no time at all.
            signed_at = datetime.fromtimestamp(timestamp, UTC)
        except (KeyError, ValueError, OverflowError, OSError):
            raise BadSignature(f"the {SIGNATURE_HEADER} header is missing or malformed") from None
        expected = sign(self.secret, body, signed_at).split("v1=", 1)[1]
        # As bytes: compare_digest refuses str with non-ASCII characters, which a header may carry.
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise BadSignature("the signature does not match the body")
        if abs(now.timestamp() - timestamp) > TOLERANCE_SECONDS:
            raise BadSignature(f"the signature is more than {TOLERANCE_SECONDS} seconds away from now")
        try:
            payload = json.loads(body)
            return WebhookEvent(
                event_id=str(payload["id"]),
                session_id=str(payload["session_id"]),
                payment_id=str(payload["payment_id"]),
                outcome=str(payload["outcome"]),
                provider_payment_ref=payload.get("provider_payment_ref"),
                amount_cents=int(payload["amount_cents"]),
                currency=str(payload["currency"]),
                occurred_at=datetime.fromisoformat(payload["occurred_at"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BadSignature(f"the signed body is not a sandbox event: {exc}") from None

    def refund(self, db: Session, session_id: str, amount_cents: int, now: datetime) -> str:
        session = db.get(SandboxSession, session_id)
        if session is None or session.status != APPROVED or amount_cents > session.amount_cents:
            raise ValueError(f"sandbox session {session_id} has no approved payment of {amount_cents} cents to refund")
        session.status = REFUNDED
        session.decided_at = now
        return "re_" + uuid.uuid4().hex[:24]
