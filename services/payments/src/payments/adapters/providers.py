"""What payments needs from a card/PPS payment provider: a hosted payment page, signed webhooks, refunds.

A provider takes the payer to its own page (``redirect_url``), and later tells the service what
happened through a signed webhook; the service never sees a card number. The sandbox provider
(``payments.adapters.sandbox``) behaves this way for local runs and tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

METHODS = ("card", "pps")
CARD_BRANDS = ("visa", "mastercard", "unionpay", "jcb")


class BadSignature(Exception):
    """A webhook whose signature, timestamp or body cannot be trusted."""


@dataclass(frozen=True)
class CheckoutRequest:
    payment_id: str
    method: str
    card_brand: str | None
    amount_cents: int
    currency: str
    description: str
    return_url: str | None


@dataclass(frozen=True)
class Checkout:
    session_id: str
    redirect_url: str


@dataclass(frozen=True)
class WebhookEvent:
    """A provider's verified word about one checkout session."""

    event_id: str
    session_id: str
    payment_id: str
    outcome: str
    """``approved`` or ``declined``."""
    provider_payment_ref: str | None
    amount_cents: int
    currency: str
    occurred_at: datetime


class Provider(Protocol):
    name: str

    def start(self, db: Session, request: CheckoutRequest, now: datetime) -> Checkout:
        """Open a hosted-page session for the payment; the payer goes to ``redirect_url``."""
        ...

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> WebhookEvent:
        """The webhook's event if its signature is good and fresh; else ``BadSignature``."""
        ...

    def refund(self, db: Session, session_id: str, amount_cents: int, now: datetime) -> str:
        """Give ``amount_cents`` of the session's payment back to the payer; the provider's refund reference."""
        ...
