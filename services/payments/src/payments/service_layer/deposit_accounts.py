"""Deposit accounts: an organisation's prepaid money at the court, and fees paid out of it.

One account per organisation. It opens when its opening payment (at least HK$3,000, paid by card or
PPS through the provider) arrives, and that amount stays the minimum balance: a debit that would leave
less is refused whole. Top-ups come in the same way. The balance is never stored: it is read off the
ledger, inside the account row's lock whenever money leaves, so that concurrent debits queue behind
each other and none can spend what another already spent.

Locks are always taken order first, then account (then the receipt counter), so that two payments
never wait for each other in a circle.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis import metrics
from chassis.clock import iso
from chassis.db import UnitOfWork
from chassis.web.principal import Principal
from payments.adapters.tables import DepositAccount, LedgerEntry, LedgerTransaction, Payment, PaymentOrder, Receipt
from payments.domain import access
from payments.domain import ledger as accounts
from payments.service_layer import checkout, errors, idempotency, ledger, numbers, orders, receipts
from payments.service_layer.calendar import deemed_paid_at
from payments.service_layer.deps import Deps
from payments.service_layer.events import publish

PENDING, OPEN = "pending", "open"
#: HK$3,000: the least an account opens with, and the least it must keep.
MINIMUM_BALANCE_CENTS = 300_000
#: HK$10,000,000: the most one opening or top-up may bring in. A bigger sum is almost surely a typing
#: slip, and a provider would refuse it anyway; the firm can pay in again.
MAXIMUM_PAYMENT_CENTS = 1_000_000_000
DEPOSIT_ACCOUNT = orders.DEPOSIT_ACCOUNT
#: Ledger transaction kinds of money coming in.
OPENING, TOP_UP = "deposit_opening", "deposit_top_up"


# Reading ------------------------------------------------------------------------------------------------


def account_json(deps: Deps, db: Session, account: DepositAccount) -> dict[str, Any]:
    balance = ledger.deposit_balance(db, account.id)
    return {
        "deposit_account_id": account.id,
        "number": account.number,
        "organisation_id": account.organisation_id,
        "status": account.status,
        "currency": "HKD",
        "balance_cents": balance,
        "minimum_balance_cents": account.minimum_balance_cents,
        # What fees may still be paid from it without going below the minimum.
        "available_cents": max(balance - account.minimum_balance_cents, 0) if account.status == OPEN else 0,
        "low_balance_threshold_cents": _threshold(deps, account),
        "low_balance": account.low_balance,
        "requested_at": iso(account.requested_at),
        "opened_at": iso(account.opened_at) if account.opened_at else None,
        "version": account.version,
    }


def mine(deps: Deps, principal: Principal) -> dict[str, Any]:
    """The caller's organisation's account (PA, SA, OU); 404 when it has none."""
    _require_login(principal)
    with deps.unit_of_work() as uow:
        account = _of_organisation(uow.session, principal.organisation)
        if account is None or not access.may_use_deposit(principal, account.organisation_id):
            raise errors.not_found("deposit account")
        return account_json(deps, uow.session, account)


def get(deps: Deps, principal: Principal, account_id: str) -> dict[str, Any]:
    """An account with its balance, for its organisation's PA, SA and OU; 404 to everyone else."""
    with deps.unit_of_work() as uow:
        account = _visible(uow.session, principal, account_id)
        return account_json(deps, uow.session, account)


def _require_login(principal: Principal) -> None:
    if not principal.authenticated:
        raise errors.unauthenticated()


def _visible(db: Session, principal: Principal, account_id: str) -> DepositAccount:
    _require_login(principal)
    account = db.get(DepositAccount, account_id)
    if account is None or not access.may_use_deposit(principal, account.organisation_id):
        raise errors.not_found("deposit account")
    return account


def _managed(db: Session, principal: Principal, account_id: str) -> DepositAccount:
    """The account if the caller administers its organisation; 403 for its OU, who may see it but not manage it."""
    account = _visible(db, principal, account_id)
    if not access.may_manage_deposit(principal, account.organisation_id):
        raise errors.forbidden("Only the organisation's administrators (PA, SA) manage its deposit account.")
    return account


def _of_organisation(db: Session, organisation_id: str | None, *, lock: bool = False) -> DepositAccount | None:
    if organisation_id is None:
        return None
    query = sa.select(DepositAccount).where(DepositAccount.organisation_id == organisation_id)
    # FOR NO KEY UPDATE: debits queue behind each other, while inserting a payment that refers to the
    # account (which takes a key-share lock) does not wait for them.
    return db.scalar(query.with_for_update(key_share=True) if lock else query)


def _threshold(deps: Deps, account: DepositAccount) -> int:
    return account.minimum_balance_cents + deps.settings.low_balance_margin_cents


# Statement ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Hong Kong calendar days, both ends included; either end may be open."""

    first: date | None
    last: date | None


def statement(
    deps: Deps, principal: Principal, account_id: str, period: Period, limit: int, offset: int
) -> dict[str, Any]:
    """The account's entries oldest first, each with the balance after it (PA, SA only)."""
    zone = deps.hours.zone
    with deps.unit_of_work() as uow:
        db = uow.session
        account = _managed(db, principal, account_id)
        code = accounts.deposit(account.id)
        starts = (
            []
            if period.first is None
            else [LedgerTransaction.posted_at >= datetime.combine(period.first, time(), zone)]
        )
        ends = (
            []
            if period.last is None
            else [LedgerTransaction.posted_at < datetime.combine(period.last + timedelta(days=1), time(), zone)]
        )
        total = db.scalar(_entries(code, sa.func.count()).where(*starts, *ends)) or 0
        # The receipt of a movement: a refund's for a reversal, the payment's otherwise.
        receipt_kind = sa.case((LedgerTransaction.kind == "refund", receipts.REFUND), else_=receipts.PAYMENT)
        rows = db.execute(
            _entries(
                code,
                LedgerEntry.id,
                LedgerEntry.amount_cents,
                LedgerTransaction.posted_at,
                LedgerTransaction.kind,
                LedgerTransaction.memo,
                LedgerTransaction.order_id,
                Receipt.number,
            )
            .outerjoin(Receipt, (Receipt.payment_id == LedgerTransaction.payment_id) & (Receipt.kind == receipt_kind))
            .where(*starts, *ends)
            .order_by(LedgerEntry.id)
            .limit(limit)
            .offset(offset)
        ).all()
        # A page starts from the balance after every earlier entry, inside the period or not; an empty
        # page stands at the period's end.
        earlier = [LedgerEntry.id < rows[0].id] if rows else ends
        opening = -int(
            db.scalar(_entries(code, sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0)).where(*earlier))
        )
        running = opening
        lines = []
        for row in rows:
            # The ledger keeps the court's side: a debit of deposit:<id> is money leaving the firm's account.
            running -= row.amount_cents
            lines.append(
                {
                    "entry_id": row.id,
                    "date": iso(row.posted_at),
                    "kind": row.kind,
                    "description": row.memo,
                    "order_id": row.order_id,
                    "receipt_number": row.number,
                    "debit_cents": max(row.amount_cents, 0),
                    "credit_cents": max(-row.amount_cents, 0),
                    "balance_cents": running,
                }
            )
        return {
            "deposit_account_id": account.id,
            "number": account.number,
            "currency": "HKD",
            "from": period.first.isoformat() if period.first else None,
            "to": period.last.isoformat() if period.last else None,
            "opening_balance_cents": opening,
            "closing_balance_cents": running,
            "balance_cents": ledger.deposit_balance(db, account.id),
            "minimum_balance_cents": account.minimum_balance_cents,
            "entries": lines,
            "total": total,
            "limit": limit,
            "offset": offset,
        }


def _entries(code: str, *columns: Any) -> sa.Select[Any]:
    """``columns`` over the ledger entries of account ``code`` and their transactions."""
    return (
        sa.select(*columns)
        .select_from(LedgerEntry)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account == code)
    )


# Paying money in (card or PPS through the provider) -----------------------------------------------------


def request_opening(deps: Deps, principal: Principal, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
    """A PA or SA asks to open its organisation's account: a pending account and its opening checkout."""
    _require_login(principal)
    if principal.organisation is None or not access.may_manage_deposit(principal, principal.organisation):
        raise errors.forbidden("Only an organisation's administrators (PA, SA) open its deposit account.")
    if body["opening_amount_cents"] < MINIMUM_BALANCE_CENTS:
        raise errors.invalid_field(
            "opening_amount_cents", f"must be at least {MINIMUM_BALANCE_CENTS} (HK$3,000), the minimum balance"
        )
    print_ = idempotency.fingerprint(body)
    return idempotency.once(
        deps, principal.subject or "", key, "deposit_opening", print_, lambda uow: _open(deps, uow, principal, body)
    )


def _open(deps: Deps, uow: UnitOfWork, principal: Principal, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    db = uow.session
    organisation = principal.organisation
    assert organisation is not None
    account = _of_organisation(db, organisation, lock=True)
    if account is None:
        account = DepositAccount(
            id=str(uuid.uuid4()),
            number=numbers.deposit_account_number(db),
            organisation_id=organisation,
            status=PENDING,
            minimum_balance_cents=MINIMUM_BALANCE_CENTS,
            low_balance=False,
            requested_by_account_id=principal.subject or "",
            requested_at=deps.now(),
            version=1,
        )
        db.add(account)
        # Another administrator's racing first request fails here, on the organisation's unique key.
        db.flush()
    elif account.status == OPEN:
        raise errors.deposit_account_exists(account.id, account.number)
    else:
        waiting = _waiting_opening(deps, db, account.id)
        if waiting is not None:
            raise errors.opening_in_progress(account.id, waiting)
    payment = checkout.start(
        deps,
        uow,
        purpose=checkout.DEPOSIT_OPENING,
        method=body["method"],
        card_brand=body.get("card_brand"),
        amount_cents=body["opening_amount_cents"],
        description=f"Opening deposit, deposit account {account.number}",
        payer_account_id=principal.subject,
        return_url=body.get("return_url"),
        deposit_account_id=account.id,
    )
    return 202, {"deposit_account": account_json(deps, db, account), "payment": payment_json(db, payment)}


def _waiting_opening(deps: Deps, db: Session, account_id: str) -> str | None:
    """An opening payment still waiting for the provider (a second would only pay in twice)."""
    since = deps.now() - timedelta(minutes=deps.settings.provider_timeout_minutes)
    return db.scalar(
        sa.select(Payment.id)
        .where(
            Payment.deposit_account_id == account_id,
            Payment.purpose == checkout.DEPOSIT_OPENING,
            Payment.status == orders.PENDING,
            Payment.started_at > since,
        )
        .limit(1)
    )


def request_top_up(
    deps: Deps, principal: Principal, account_id: str, body: dict[str, Any], key: str
) -> tuple[int, dict[str, Any]]:
    """A PA or SA pays money into its open account: a pending top-up and its checkout."""
    _require_login(principal)

    def top_up(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        account = _managed(uow.session, principal, account_id)
        if account.status != OPEN:
            raise errors.deposit_account_not_open(account.id)
        payment = checkout.start(
            deps,
            uow,
            purpose=checkout.DEPOSIT_TOP_UP,
            method=body["method"],
            card_brand=body.get("card_brand"),
            amount_cents=body["amount_cents"],
            description=f"Top-up, deposit account {account.number}",
            payer_account_id=principal.subject,
            return_url=body.get("return_url"),
            deposit_account_id=account.id,
        )
        return 202, {
            "deposit_account": account_json(deps, uow.session, account),
            "payment": payment_json(uow.session, payment),
        }

    print_ = idempotency.fingerprint(account_id, body)
    return idempotency.once(deps, principal.subject or "", key, "deposit_top_up", print_, top_up)


def funds_arrived(deps: Deps, uow: UnitOfWork, payment: Payment) -> None:
    """The provider approved money for an account (``payment`` locked): the account opens, or grows.

    Money for an opening that finds the account already open (an earlier attempt came in first, or this
    one came after its time-out) is credited all the same, as a top-up: the firm paid it in.
    """
    db = uow.session
    now = deps.now()
    account = db.scalar(
        sa.select(DepositAccount)
        .where(DepositAccount.id == payment.deposit_account_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    assert account is not None, f"payment {payment.id} names no deposit account"
    opening = account.status == PENDING
    kind = OPENING if opening else TOP_UP
    description = f"{'Opening deposit' if opening else 'Top-up'}, deposit account {account.number}"
    transaction = ledger.post(
        db,
        kind=kind,
        memo=description,
        entries=accounts.transfer(
            accounts.clearing(payment.method), accounts.deposit(account.id), payment.amount_cents
        ),
        at=now,
        payment_id=payment.id,
    )
    payment.ledger_transaction_id = transaction.id
    payment.status = orders.SUCCEEDED
    payment.completed_at = now
    payment.failure_reason = None
    payment.version += 1
    receipt = receipts.allocate(
        deps,
        db,
        kind=receipts.PAYMENT,
        amount_cents=payment.amount_cents,
        method=payment.method,
        description=description,
        at=now,
        deposit_account_id=account.id,
        payment_id=payment.id,
        payer_account_id=payment.payer_account_id,
        organisation_id=account.organisation_id,
        deemed_paid_at=deemed_paid_at(deps, db, now),
    )
    balance = ledger.deposit_balance(db, account.id)
    account.version += 1
    if balance >= _threshold(deps, account):
        account.low_balance = False
    if opening:
        account.status = OPEN
        account.opened_at = now
        publish(
            deps,
            uow,
            "deposit_account.opened",
            account.id,
            {
                "deposit_account_id": account.id,
                "organisation_id": account.organisation_id,
                "number": account.number,
                "opening_balance_cents": balance,
                "minimum_balance_cents": account.minimum_balance_cents,
                "opened_at": iso(now),
                "aggregate_version": account.version,
            },
        )
        return
    publish(
        deps,
        uow,
        "deposit_account.topped_up",
        account.id,
        {
            "deposit_account_id": account.id,
            "organisation_id": account.organisation_id,
            "amount_cents": payment.amount_cents,
            "balance_cents": balance,
            "method": payment.method,
            "topped_up_at": iso(now),
            "receipt_number": receipt.number,
            "aggregate_version": account.version,
        },
    )


def funding_failed(deps: Deps, uow: UnitOfWork, payment: Payment) -> None:
    """The provider declined an opening or top-up, or it timed out: no money came, so nothing changes.

    The payment already says why; a pending account stays pending, and its administrators may try again.
    """


# Paying an order from the account -----------------------------------------------------------------------


def pay_order(deps: Deps, uow: UnitOfWork, principal: Principal, order: PaymentOrder) -> tuple[Payment, DepositAccount]:
    """Pay ``order`` (locked, payable) from the caller's organisation's account, or refuse with nothing moved.

    The account row is locked after the order's, and the balance read inside that lock.
    """
    db = uow.session
    account = _of_organisation(db, principal.organisation, lock=True)
    if account is None or account.status != OPEN or not access.may_use_deposit(principal, account.organisation_id):
        raise errors.no_deposit_account()
    balance = ledger.deposit_balance(db, account.id)
    if balance - order.amount_cents < account.minimum_balance_cents:
        refused = errors.insufficient_deposit(balance, account.minimum_balance_cents, order.amount_cents)
        # Nothing commits on a refusal, so it is counted here rather than after a commit.
        metrics.payments.labels(DEPOSIT_ACCOUNT, "insufficient").inc()
        raise refused
    now = deps.now()
    payment = Payment(
        id=str(uuid.uuid4()),
        purpose=checkout.ORDER,
        order_id=order.id,
        deposit_account_id=account.id,
        method=DEPOSIT_ACCOUNT,
        card_brand=None,
        amount_cents=order.amount_cents,
        currency=order.currency,
        status=orders.PENDING,
        payer_account_id=principal.subject,
        started_at=now,
        version=1,
    )
    db.add(payment)
    orders.settle(deps, uow, order, payment, accounts.deposit(account.id))
    _warn_if_low(deps, uow, account, balance - order.amount_cents)
    checkout.count(uow, payment, orders.SUCCEEDED)
    return payment, account


def _warn_if_low(deps: Deps, uow: UnitOfWork, account: DepositAccount, balance: int) -> None:
    """``payments.deposit_account.low_balance`` the first time a debit leaves less than the threshold.

    The flag is cleared whenever the balance is seen back at or above it (a top-up, or a refund into the
    account), so the next fall warns again.
    """
    threshold = _threshold(deps, account)
    if balance >= threshold:
        if account.low_balance:
            account.low_balance = False
            account.version += 1
        return
    if account.low_balance:
        return
    account.low_balance = True
    account.version += 1
    publish(
        deps,
        uow,
        "deposit_account.low_balance",
        account.id,
        {
            "deposit_account_id": account.id,
            "organisation_id": account.organisation_id,
            "balance_cents": balance,
            "minimum_balance_cents": account.minimum_balance_cents,
            "threshold_cents": threshold,
            "at": iso(deps.now()),
            "aggregate_version": account.version,
        },
    )


# Shared -------------------------------------------------------------------------------------------------


def payment_json(db: Session, payment: Payment) -> dict[str, Any]:
    receipt = db.scalar(
        sa.select(Receipt.number).where(Receipt.payment_id == payment.id, Receipt.kind == receipts.PAYMENT)
    )
    return {
        "payment_id": payment.id,
        "purpose": payment.purpose,
        "order_id": payment.order_id,
        "deposit_account_id": payment.deposit_account_id,
        "method": payment.method,
        "card_brand": payment.card_brand,
        "amount_cents": payment.amount_cents,
        "currency": payment.currency,
        "status": payment.status,
        "failure_reason": payment.failure_reason,
        "redirect_url": payment.redirect_url if payment.status == orders.PENDING else None,
        "receipt_number": receipt,
        "started_at": iso(payment.started_at),
        "completed_at": iso(payment.completed_at) if payment.completed_at else None,
        "version": payment.version,
    }
