"""Who may do what with payment orders: every role against every action, as one table.

Each table row is a caller, each column an action: ``see`` (``GET /orders/{id}`` answers 200, not 404),
``list`` (the order is in the caller's ``GET /orders``; None when the listing itself is refused),
``pay`` (``domain.access.may_pay_order``, which the paying endpoint asks), and for the fine order
``create fine`` (``POST /orders`` with a fine: the status answered).
"""

from __future__ import annotations

import uuid
from typing import Any

from payments_testkit import Caller, World

from chassis.web.principal import Principal
from payments.domain import access

Y, N = True, False


def _callers(world: World) -> dict[str, Caller | None]:
    firm, other_firm = str(uuid.uuid4()), str(uuid.uuid4())
    return {
        "firm OU (payer)": world.caller("OU", firm),
        "firm OU": world.caller("OU", firm),
        "firm PA": world.caller("PA", firm),
        "firm SA": world.caller("SA", firm),
        "other firm OU": world.caller("OU", other_firm),
        "IU (payer)": world.caller("IU"),
        "other IU": world.caller("IU"),
        "registry officer": world.caller("registry_officer"),
        "system admin": world.caller("system_admin"),
        "anonymous": None,
    }


def _row(world: World, who: Caller | None, order_id: str) -> tuple[bool, bool | None, bool]:
    seen = world.call("GET", f"/orders/{order_id}", who)
    assert seen.status_code in (200, 404), seen.get_data(as_text=True)
    listing = world.call("GET", "/orders", who)
    listed = None if listing.status_code == 401 else order_id in [o["order_id"] for o in listing.get_json()["orders"]]
    principal = who.principal if who else Principal.anonymous("203.0.113.9")
    order = world.ok("GET", f"/orders/{order_id}", world.caller("registry_officer"))
    pays = access.may_pay_order(principal, order["payer_account_id"], order["organisation_id"])
    return seen.status_code == 200, listed, pays


def _table(world: World, callers: dict[str, Caller | None], order_id: str) -> dict[str, tuple[Any, ...]]:
    return {name: _row(world, who, order_id) for name, who in callers.items()}


def test_who_sees_lists_pays_and_makes_which_order(payments_world: World) -> None:
    world = payments_world
    callers = _callers(world)
    firm_order = world.filing_submitted(callers["firm OU (payer)"])["id"]  # type: ignore[arg-type]
    own_order = world.filing_submitted(callers["IU (payer)"])["id"]  # type: ignore[arg-type]
    fine_order = world.ok(
        "POST",
        "/orders",
        callers["registry officer"],
        201,
        json={"reference_type": "fine", "reference_id": "FSS 77/2026", "code": "MC.FINE", "amount_cents": 60_000},
        headers={"Idempotency-Key": "fine"},
    )["order_id"]

    #                     see  list  pay
    assert _table(world, callers, firm_order) == {
        "firm OU (payer)": (Y, Y, Y),
        "firm OU": (Y, Y, Y),
        "firm PA": (Y, Y, Y),
        "firm SA": (Y, Y, Y),
        "other firm OU": (N, N, N),
        "IU (payer)": (N, N, N),
        "other IU": (N, N, N),
        "registry officer": (Y, Y, N),
        "system admin": (N, N, N),
        "anonymous": (N, None, N),
    }
    assert _table(world, callers, own_order) == {
        "firm OU (payer)": (N, N, N),
        "firm OU": (N, N, N),
        "firm PA": (N, N, N),
        "firm SA": (N, N, N),
        "other firm OU": (N, N, N),
        "IU (payer)": (Y, Y, Y),
        "other IU": (N, N, N),
        "registry officer": (Y, Y, N),
        "system admin": (N, N, N),
        "anonymous": (N, None, N),
    }
    # A fine is nobody's: whoever holds its id sees and pays it; only the registry lists every fine.
    assert _table(world, callers, fine_order) == {
        "firm OU (payer)": (Y, N, Y),
        "firm OU": (Y, N, Y),
        "firm PA": (Y, N, Y),
        "firm SA": (Y, N, Y),
        "other firm OU": (Y, N, Y),
        "IU (payer)": (Y, N, Y),
        "other IU": (Y, N, Y),
        "registry officer": (Y, Y, Y),
        "system admin": (Y, N, Y),
        "anonymous": (Y, None, Y),
    }

    fine = {"reference_type": "fine", "code": "MC.FINE", "amount_cents": 10_000}
    made = {
        name: world.create_order(who, {**fine, "reference_id": f"FSS {n}/2026"}).status_code
        for n, (name, who) in enumerate(callers.items())
    }
    assert made == {
        "firm OU (payer)": 403,
        "firm OU": 403,
        "firm PA": 403,
        "firm SA": 403,
        "other firm OU": 403,
        "IU (payer)": 403,
        "other IU": 403,
        "registry officer": 201,
        "system admin": 403,
        "anonymous": 401,
    }
