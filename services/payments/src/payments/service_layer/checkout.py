"""Card and PPS payments through the provider: the checkout, the provider's signed word, the wait that ends.

The payer starts a checkout and goes to the provider's hosted page; the outcome comes back later in a
signed webhook, which may come twice, late or never. A webhook is verified before anything in it is
believed, refused whole if it does not fit the payment it names, and applied at most once: the
provider's event id is kept in ``provider_events`` in the same transaction as its effect. A payment the
provider says nothing about within ``provider_timeout_minutes`` times out (the order fails, and may be
paid again); money that arrives after all is honoured: it pays the order if the order can still be paid,
and otherwise goes straight back to the payer.

Locks are taken in one order everywhere (the order, then the payment) so that a webhook, the time-out
job and a payer's new attempt queue behind each other instead of deadlocking.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from chassis import metrics
from chassis.db import UnitOfWork
from payments.adapters.providers import CARD_BRANDS, METHODS, BadSignature, CheckoutRequest, WebhookEvent
from payments.adapters.sandbox import APPROVED, DECLINED, OPEN, SIGNATURE_HEADER, SandboxProvider, sign
from payments.adapters.tables import Payment, PaymentOrder, ProviderEvent, SandboxSession, SandboxWebhook
from payments.domain import ledger as accounts
from payments.service_layer import deposit_accounts, errors, ledger, orders
from payments.service_layer.deps import Deps
from payments.service_layer.orders import DECLINED as PAYMENT_DECLINED
from payments.service_layer.orders import PENDING, REFUNDED, SUCCEEDED, TIMED_OUT

log = logging.getLogger(__name__)

ORDER, DEPOSIT_OPENING, DEPOSIT_TOP_UP = "order", "deposit_opening", "deposit_top_up"
PURPOSES = (ORDER, DEPOSIT_OPENING, DEPOSIT_TOP_UP)
#: What a webhook did: changed something, or nothing because its word was already heard.
APPLIED, DUPLICATE = "applied", "duplicate"
#: Why money that arrived for an order went back instead of paying it.
ORDER_NOT_PAYABLE = "order_not_payable"
OUTCOMES = ("approve", "decline", "timeout")
#: A webhook delivery is given up after this many tries (about a day and a half with the backoff below).
MAX_DELIVERY_ATTEMPTS = 40
#: A delivery in flight is not picked up by another worker for this long.
DELIVERY_LEASE = timedelta(minutes=2)
BATCH = 200

#: ``post(url, body, headers) -> HTTP status``: how the sandbox reaches the webhook endpoint.
Post = Callable[[str, bytes, Mapping[str, str]], int]


# Starting ------------------------------------------------------------------------------------------------


def start(
    deps: Deps,
    uow: UnitOfWork,
    *,
    purpose: str,
    method: str,
    card_brand: str | None,
    amount_cents: int,
    description: str,
    payer_account_id: str | None,
    return_url: str | None,
    order_id: str | None = None,
    deposit_account_id: str | None = None,
) -> Payment:
    """A pending card or PPS payment with its provider session: the payer goes on to its ``redirect_url``.

    For an order the caller holds the order's lock and has checked it is payable. One attempt at a time
    may wait for the provider, so a double click cannot charge twice; an attempt that has waited past
    the provider timeout no longer blocks a new one.
    """
    assert purpose in PURPOSES and (order_id is not None) == (purpose == ORDER)
    _check_method(method, card_brand)
    _check_return_url(return_url)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise errors.invalid_field("amount_cents", "must be a positive whole number of cents")
    now = deps.now()
    if purpose == ORDER:
        waiting = uow.session.scalar(
            sa.select(Payment.id)
            .where(
                Payment.order_id == order_id,
                Payment.status == PENDING,
                Payment.started_at > now - _timeout(deps),
            )
            .limit(1)
        )
        if waiting is not None:
            raise errors.payment_in_progress(order_id or "", waiting)
    payment = Payment(
        id=str(uuid.uuid4()),
        purpose=purpose,
        order_id=order_id,
        deposit_account_id=deposit_account_id,
        method=method,
        card_brand=card_brand,
        amount_cents=amount_cents,
        currency="HKD",
        status=PENDING,
        payer_account_id=payer_account_id,
        provider=deps.provider.name,
        return_url=return_url,
        started_at=now,
        version=1,
    )
    checkout = deps.provider.start(
        uow.session,
        CheckoutRequest(payment.id, method, card_brand, amount_cents, payment.currency, description, return_url),
        now,
    )
    payment.provider_session_id = checkout.session_id
    payment.redirect_url = checkout.redirect_url
    uow.session.add(payment)
    return payment


def _check_method(method: str, card_brand: str | None) -> None:
    if method not in METHODS:
        raise errors.invalid_field("method", f"must be one of {', '.join(METHODS)} to pay through the provider")
    if method == "card" and card_brand not in CARD_BRANDS:
        raise errors.invalid_field("card_brand", f"must be one of {', '.join(CARD_BRANDS)} when paying by card")
    if method != "card" and card_brand is not None:
        raise errors.invalid_field("card_brand", "is only for payments by card")


def _check_return_url(url: str | None) -> None:
    if url is None:
        return
    # The hosted page redirects the payer here, so only a plain web address will do (no javascript:, no data:).
    try:
        parts = urlsplit(url)
    except ValueError:  # a host urlsplit cannot parse, such as "http://[x": no address either
        parts = None
    if (
        parts is None
        or len(url) > 500
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or not url.isprintable()
    ):
        raise errors.invalid_field("return_url", "must be an absolute http:// or https:// URL, 500 characters at most")


def _timeout(deps: Deps) -> timedelta:
    return timedelta(minutes=deps.settings.provider_timeout_minutes)


# The provider's word --------------------------------------------------------------------------------------


def webhook(deps: Deps, headers: Mapping[str, str], body: bytes) -> str:
    """Apply the provider's signed word about a payment; ``applied``, or ``duplicate`` if it was heard before."""
    now = deps.now()
    try:
        event = deps.provider.verify(headers, body, now)
    except BadSignature as exc:
        raise errors.bad_webhook_signature(str(exc)) from None
    with deps.unit_of_work() as uow:
        order, payment = _locked_payment(deps, uow, event)
        key = (deps.provider.name, event.event_id)
        if uow.session.get(ProviderEvent, key) is not None:
            return DUPLICATE
        uow.session.add(
            ProviderEvent(provider=key[0], event_id=key[1], payment_id=payment.id, received_at=now),
        )
        result = _apply(deps, uow, order, payment, event)
        uow.commit()
        return result


def _locked_payment(deps: Deps, uow: UnitOfWork, event: WebhookEvent) -> tuple[PaymentOrder | None, Payment]:
    """The payment ``event`` is about, locked (its order first), if the event fits it; else a 422."""
    columns = (Payment.order_id, Payment.provider, Payment.provider_session_id, Payment.amount_cents, Payment.currency)
    found = uow.session.execute(sa.select(*columns).where(Payment.id == event.payment_id)).first()
    if found is None or (found.provider, found.provider_session_id) != (deps.provider.name, event.session_id):
        raise errors.webhook_not_applicable(
            f"No payment {event.payment_id} was started with the provider session {event.session_id}."
        )
    if (found.amount_cents, found.currency) != (event.amount_cents, event.currency):
        raise errors.webhook_not_applicable(
            f"The webhook reports {event.amount_cents} {event.currency} but payment {event.payment_id} is for "
            f"{found.amount_cents} {found.currency}; nothing was applied."
        )
    order = orders.locked(uow, found.order_id) if found.order_id is not None else None
    payment = _lock(uow, event.payment_id)
    return order, payment


def _lock(uow: UnitOfWork, payment_id: str) -> Payment:
    payment = uow.session.scalar(
        sa.select(Payment).where(Payment.id == payment_id).with_for_update().execution_options(populate_existing=True)
    )
    assert payment is not None
    return payment


def _apply(deps: Deps, uow: UnitOfWork, order: PaymentOrder | None, payment: Payment, event: WebhookEvent) -> str:
    if event.outcome == APPROVED:
        if payment.status in (SUCCEEDED, REFUNDED):
            # Another event about the same approved session: the money came once, and was applied once.
            return DUPLICATE
        payment.provider_payment_ref = event.provider_payment_ref
        # A late approval overrides the time-out (or decline) the payment ended with for lack of it.
        payment.failure_reason = None
        _money_arrived(deps, uow, order, payment)
        return APPLIED
    if event.outcome == DECLINED:
        if payment.status != PENDING:
            # Already timed out (the order failed then) or settled by an earlier word: nothing left to decline.
            return DUPLICATE
        _failed(deps, uow, order, payment, "declined")
        return APPLIED
    raise errors.webhook_not_applicable(f"Unknown outcome {event.outcome!r}: expected approved or declined.")


def _money_arrived(deps: Deps, uow: UnitOfWork, order: PaymentOrder | None, payment: Payment) -> None:
    """Approved, in time or late: the money pays what it was for, or goes back if that can no longer be paid."""
    if payment.purpose != ORDER:
        deposit_accounts.funds_arrived(deps, uow, payment)
        count(uow, payment, SUCCEEDED)
        return
    assert order is not None
    if orders.is_payable(order, deps.now()):
        orders.settle(deps, uow, order, payment, accounts.clearing(payment.method))
        count(uow, payment, SUCCEEDED)
        return
    _send_back(deps, uow, order, payment)


def _send_back(deps: Deps, uow: UnitOfWork, order: PaymentOrder, payment: Payment) -> None:
    """The order was paid, expired or refunded before this money came: it is recorded, then returned in full."""
    now = deps.now()
    transaction = ledger.post(
        uow.session,
        kind="unapplied_payment",
        memo=f"Received after the order could no longer be paid ({order.status}): {order.description}",
        entries=accounts.transfer(
            accounts.clearing(payment.method), accounts.unapplied(payment.method), payment.amount_cents
        ),
        at=now,
        order_id=order.id,
        payment_id=payment.id,
    )
    payment.ledger_transaction_id = transaction.id
    payment.status = SUCCEEDED
    payment.completed_at = now
    payment.failure_reason = ORDER_NOT_PAYABLE
    orders.return_payment(deps, uow, payment, memo=f"Returned: order {order.status}: {order.description}")
    count(uow, payment, REFUNDED)


def _failed(deps: Deps, uow: UnitOfWork, order: PaymentOrder | None, payment: Payment, reason: str) -> None:
    if payment.purpose == ORDER:
        assert order is not None
        orders.fail(deps, uow, order, payment, reason)
    else:
        payment.status = PAYMENT_DECLINED if reason == "declined" else TIMED_OUT
        payment.failure_reason = reason
        payment.completed_at = deps.now()
        payment.version += 1
        deposit_accounts.funding_failed(deps, uow, payment)
    count(uow, payment, payment.status)


def count(uow: UnitOfWork, payment: Payment, outcome: str) -> None:
    """Count a payment's outcome and its money, once the change has committed."""
    method, amount = payment.method, payment.amount_cents

    def counted() -> None:
        metrics.payments.labels(method, outcome).inc()
        metrics.payment_amount.labels(method, outcome).inc(amount)

    uow.after_commit(counted)


# Time-outs -----------------------------------------------------------------------------------------------


def time_out_pending(deps: Deps) -> int:
    """Job: payments the provider has said nothing about for ``provider_timeout_minutes`` time out."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        due = uow.session.execute(
            sa.select(Payment.id, Payment.order_id)
            .where(Payment.status == PENDING, Payment.started_at <= now - _timeout(deps))
            .order_by(Payment.started_at)
            .limit(BATCH)
        ).all()
        timed_out = 0
        for payment_id, order_id in due:
            order = None
            if order_id is not None:
                # An order being paid or settled right now is left for the next pass.
                order = uow.session.scalar(
                    sa.select(PaymentOrder).where(PaymentOrder.id == order_id).with_for_update(skip_locked=True)
                )
                if order is None:
                    continue
            payment = _lock(uow, payment_id)
            if payment.status != PENDING:
                continue
            _failed(deps, uow, order, payment, "timed_out")
            timed_out += 1
        uow.commit()
        return timed_out


# The sandbox provider's side: its hosted page and its webhook deliveries ----------------------------------


def _sandbox(deps: Deps) -> SandboxProvider:
    provider = deps.provider
    assert isinstance(provider, SandboxProvider), "the hosted page and deliveries are the sandbox provider's"
    return provider


@dataclass(frozen=True)
class HostedCheckout:
    """What the sandbox's hosted page shows of one session."""

    session_id: str
    status: str
    method: str
    card_brand: str | None
    amount_cents: int
    currency: str
    description: str
    return_url: str | None


def _hosted(session: SandboxSession) -> HostedCheckout:
    return HostedCheckout(
        session.id,
        session.status,
        session.method,
        session.card_brand,
        session.amount_cents,
        session.currency,
        session.description,
        session.return_url,
    )


def sandbox_checkout(deps: Deps, session_id: str) -> HostedCheckout:
    """The hosted page's session; 404 for an unknown id."""
    with deps.unit_of_work() as uow:
        session = uow.session.get(SandboxSession, session_id)
        if session is None:
            raise errors.not_found("checkout session")
        return _hosted(session)


def sandbox_decide(deps: Deps, session_id: str, outcome: str) -> HostedCheckout:
    """The payer's choice on the hosted page; 409 once the session is decided."""
    if outcome not in OUTCOMES:
        raise errors.invalid_field("outcome", f"must be one of {', '.join(OUTCOMES)}")
    with deps.unit_of_work() as uow:
        session = uow.session.scalar(sa.select(SandboxSession).where(SandboxSession.id == session_id).with_for_update())
        if session is None:
            raise errors.not_found("checkout session")
        if session.status != OPEN:
            raise errors.checkout_closed(session.status)
        _sandbox(deps).decide(uow.session, session, outcome, deps.now())
        decided = _hosted(session)
        uow.commit()
        return decided


def deliver_sandbox_webhooks(deps: Deps, post: Post) -> int:
    """Job: POST the webhooks the sandbox owes to the webhook URL, signed at sending, retried with backoff.

    No transaction is held while posting: the webhook's own transaction must be free to run (on SQLite
    it needs the write lock). A delivery is claimed first, by moving its next attempt beyond a lease, so
    two workers do not send it at once; a second delivery would be harmless anyway (it is a duplicate).
    """
    provider = _sandbox(deps)
    now = deps.now()
    with deps.unit_of_work() as uow:
        due = uow.session.scalars(
            sa.select(SandboxWebhook)
            .where(
                SandboxWebhook.delivered_at.is_(None),
                SandboxWebhook.next_attempt_at <= now,
                SandboxWebhook.attempts < MAX_DELIVERY_ATTEMPTS,
            )
            .order_by(SandboxWebhook.next_attempt_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for row in due:
            row.next_attempt_at = now + DELIVERY_LEASE
        claimed = [(row.event_id, row.body.encode()) for row in due]
        uow.commit()
    delivered = 0
    for event_id, body in claimed:
        sent_at = deps.now()
        headers = {SIGNATURE_HEADER: sign(provider.secret, body, sent_at), "Content-Type": "application/json"}
        try:
            status = post(provider.webhook_url, body, headers)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
        with deps.unit_of_work() as uow:
            row = uow.session.get(SandboxWebhook, event_id)
            assert row is not None
            row.attempts += 1
            if error is None:
                row.delivered_at = sent_at
                row.last_error = None
                delivered += 1
            else:
                log.warning("sandbox webhook %s not delivered (attempt %d): %s", event_id, row.attempts, error)
                row.last_error = error[:300]
                row.next_attempt_at = sent_at + backoff(row.attempts)
            uow.commit()
    return delivered


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed deliveries: 30 s doubling, at most an hour."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))
