"""Orders asked for directly, which need no account: searches (anyone) and fines (the registry); reading orders.

A search order names the court whose records are searched as filing names courts (CFA, CA, CFI, DC,
MC, SCT) and is priced from that court's fee schedule: its search-or-inspection item, per document, at
the electronic rate (it is asked for online). The service gives it a reference of its own
(``SR-<date>-<8 characters>``), as a search answers to nothing another service keeps. A fine order
carries the amount the magistrate imposed (the schedule's fine item has none) under the fine's own
reference, its summons or notice number; a fine has at most one order that is open, failed or paid, so
it is never paid twice (the database's partial unique index settles a race).

Idempotency-Keys are kept under the caller's account. An anonymous caller has none, and strangers may
well pick the same key, so its key is kept under a scope drawn from the request itself: the same body
with the same key is a retry and gets the first answer; a different body with that key is another
request, never a clash with a stranger's (and never a 422 that would tell one stranger of another).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from chassis.clock import iso
from chassis.db import UnitOfWork
from chassis.web.bodies import whole
from chassis.web.principal import Principal
from payments.adapters.tables import PaymentOrder
from payments.domain import access
from payments.domain.fees import ELECTRONIC, SCHEDULE_COURT, schedule_court
from payments.service_layer import errors, idempotency, orders
from payments.service_layer.deps import Deps
from payments.service_layer.idempotency import Answer

SEARCH, FINE = "search", "fine"
REFERENCE_TYPES = ("filing", "inspection", SEARCH, FINE)
STATUSES = (orders.OPEN, orders.PAID, orders.FAILED, orders.EXPIRED, orders.REFUNDED)
#: The orders of one fine that stop another being made: it may still be paid, or it has been.
LIVE_FINE = (orders.OPEN, orders.FAILED, orders.PAID)
#: A search order pays for each court's search-or-inspection item (``DC.SEARCH``) and nothing else.
SEARCH_ITEM = "SEARCH"
OPERATION = "order"
#: Upper bound of a fine, in cents (HK$10 million): far above what a magistrate imposes, well below overflow.
MAX_FINE_CENTS = 1_000_000_000
_ANONYMOUS = "anonymous:"
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#: A summons or notice number once spaces are collapsed and letters upper-cased: ``KCS 1234/2026``, ``MC-2026-000123``.
_FINE_REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9 /.-]{1,38}[A-Z0-9]$")


@dataclass(frozen=True)
class _Draft:
    """A new order as asked for, priced and checked, before anything is written."""

    reference_type: str
    reference_id: str
    description: str
    court: str
    named_court: str
    lines: list[dict[str, Any]]
    payer_account_id: str | None
    organisation_id: str | None


# Creating ---------------------------------------------------------------------------------------------


def create(deps: Deps, principal: Principal, body: dict[str, Any], key: str) -> Answer:
    """``POST /orders``: a search or fine order, 201 with the order; a retry with the key gets the same answer.

    The body has been checked against its schema; what the schema cannot say (whole numbers, items of
    the schedule, the fine's reference) is checked here. ``FeeError`` from the schedule is the caller's to map.
    """
    now = deps.now()
    draft = _fine(deps, principal, body, now) if body["reference_type"] == FINE else _search(deps, principal, body, now)
    print_ = idempotency.fingerprint(body)
    scope = principal.subject or _ANONYMOUS + print_[: 36 - len(_ANONYMOUS)]

    def act(uow: UnitOfWork) -> Answer:
        if draft.reference_type == FINE:
            _refuse_second_fine_order(uow, draft.reference_id)
        order = orders.create(
            deps,
            uow,
            reference_type=draft.reference_type,
            reference_id=draft.reference_id,
            description=draft.description,
            court=draft.court,
            named_court=draft.named_court,
            channel=ELECTRONIC,
            lines=draft.lines,
            payer_account_id=draft.payer_account_id,
            organisation_id=draft.organisation_id,
        )
        return 201, orders.order_json(order)

    return idempotency.once(deps, scope, key, OPERATION, print_, act)


def _search(deps: Deps, principal: Principal, body: dict[str, Any], now: datetime) -> _Draft:
    court = body["court"]
    if court not in SCHEDULE_COURT:
        raise errors.unknown_search_court(tuple(SCHEDULE_COURT))
    search_code = f"{schedule_court(court)}.{SEARCH_ITEM}"
    items = []
    for index, item in enumerate(body["items"]):
        if item["code"] != search_code:
            raise errors.not_a_search_item(f"items.{index}.code", item["code"], search_code)
        items.append((item["code"], whole(item["quantity"], f"items.{index}.quantity")))
    quote = deps.fees.quote(court, items, ELECTRONIC, now)
    reference = f"SR-{now.astimezone(deps.hours.zone):%Y%m%d}-" + "".join(
        secrets.choice(_REFERENCE_ALPHABET) for _ in range(8)
    )
    subject = body.get("subject")
    payer, organisation = access.order_owner(principal)
    return _Draft(
        reference_type=SEARCH,
        reference_id=reference,
        description=f"Search or inspection {reference}" + (f": {subject}" if subject else ""),
        court=quote.court,
        named_court=court,
        lines=orders.lines_of(quote),
        payer_account_id=payer,
        organisation_id=organisation,
    )


def _fine(deps: Deps, principal: Principal, body: dict[str, Any], now: datetime) -> _Draft:
    if not principal.authenticated:
        raise errors.unauthenticated()
    if not access.may_create_fine_order(principal):
        raise errors.forbidden("Only registry officers make fine orders.")
    reference = fine_reference(body["reference_id"])
    amount = whole(body["amount_cents"], "amount_cents")
    item = deps.fees.item(body["code"], now)
    if not item.variable_amount:
        raise errors.not_a_fine_item(body["code"])
    note = body.get("description")
    # Nobody's order: whoever holds its id (from the notice the court sends) pays it, account or not.
    return _Draft(
        reference_type=FINE,
        reference_id=reference,
        description=f"Fine {reference}" + (f": {note}" if note else ""),
        court=item.court,
        named_court=item.court,
        lines=[
            {
                "code": item.code,
                "description": item.description_en,
                "quantity": 1,
                "unit_cents": amount,
                "amount_cents": amount,
            }
        ],
        payer_account_id=None,
        organisation_id=None,
    )


def fine_reference(raw: str) -> str:
    """A fine's reference as orders keep it (one spelling per fine); 400 if it is not a summons or notice number."""
    reference = " ".join(raw.upper().split())
    if not _FINE_REFERENCE.match(reference):
        raise errors.invalid_field(
            "reference_id",
            "must be the fine's summons or notice number: 3 to 40 letters, digits, spaces and / . -, "
            "starting and ending with a letter or digit",
        )
    return reference


def _refuse_second_fine_order(uow: UnitOfWork, reference: str) -> None:
    existing = uow.session.scalar(
        sa.select(PaymentOrder).where(
            PaymentOrder.reference_type == FINE,
            PaymentOrder.reference_id == reference,
            PaymentOrder.status.in_(LIVE_FINE),
        )
    )
    if existing is not None:
        raise errors.fine_already_ordered(reference, existing.id, existing.status)


# Reading ----------------------------------------------------------------------------------------------


def get(deps: Deps, principal: Principal, order_id: str) -> dict[str, Any]:
    """One order, for those who may see it; 404 for everyone else, as for an order that does not exist."""
    with deps.unit_of_work() as uow:
        order = uow.session.get(PaymentOrder, order_id)
        if order is None or not access.may_see_order(principal, order.payer_account_id, order.organisation_id):
            raise errors.not_found("payment order")
        return orders.order_json(order)


def list_orders(
    deps: Deps,
    principal: Principal,
    *,
    status: str | None,
    reference_type: str | None,
    reference_id: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """The caller's orders (those it or its organisation owes; the registry's: all), newest first.

    Paged by a cursor (the last order's creation time and id) rather than an offset, so orders made
    while a client pages push nothing into the pages it has still to read.
    """
    if not principal.authenticated:
        raise errors.unauthenticated()
    query = sa.select(PaymentOrder)
    if not access.is_registry(principal):
        # As access.may_see_order: the payer, and every account of the order's organisation.
        mine = PaymentOrder.payer_account_id == principal.subject
        if principal.organisation is not None:
            mine = sa.or_(mine, PaymentOrder.organisation_id == principal.organisation)
        query = query.where(mine)
    if status is not None:
        query = query.where(PaymentOrder.status == status)
    if reference_type is not None:
        query = query.where(PaymentOrder.reference_type == reference_type)
    if reference_id is not None:
        # A fine is found however its number is spaced or cased, as it was kept in one spelling.
        wanted = " ".join(reference_id.upper().split()) if reference_type == FINE else reference_id
        query = query.where(PaymentOrder.reference_id == wanted)
    if cursor is not None:
        created_at, order_id = _decode_cursor(cursor)
        query = query.where(
            sa.or_(
                PaymentOrder.created_at < created_at,
                sa.and_(PaymentOrder.created_at == created_at, PaymentOrder.id < order_id),
            )
        )
    with deps.unit_of_work() as uow:
        rows = list(
            uow.session.scalars(query.order_by(PaymentOrder.created_at.desc(), PaymentOrder.id.desc()).limit(limit + 1))
        )
        page = rows[:limit]
        more = len(rows) > limit
        return {
            "orders": [orders.order_json(order) for order in page],
            "next_cursor": _encode_cursor(page[-1]) if more else None,
        }


def _encode_cursor(order: PaymentOrder) -> str:
    return base64.urlsafe_b64encode(f"{iso(order.created_at)}|{order.id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, order_id = raw.split("|")
        created_at = datetime.fromisoformat(at)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise errors.invalid_field("cursor", "is not a cursor this listing gave") from None
    if created_at.tzinfo is None or len(order_id) != 36:
        raise errors.invalid_field("cursor", "is not a cursor this listing gave")
    return created_at, order_id
