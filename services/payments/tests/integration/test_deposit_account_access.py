"""Who may use the deposit-account endpoints, as one table: every action against every kind of caller.

The scene: Chan & Co has an open deposit account; Lee & Partners has none. Chan & Co's organisation
user has a filing fee to pay.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from payments_testkit import Caller, World
from werkzeug.test import TestResponse

# Callers (columns):
#   anon      no login
#   iu        a litigant in person
#   ou, pa, sa              Chan & Co's organisation user and administrators
#   ou_else, pa_else        Lee & Partners' organisation user and administrator
#   registry  registry officer;  admin  system administrator
#
# Outcomes: 401 log in first; 403 this role may not do this; 404 not the caller's to see (outsiders
# cannot tell it exists); 409 Chan & Co has an account already; 200/201/202 done.
MATRIX = """
action             anon  iu   ou   pa   sa   ou_else  pa_else  registry  admin
my_account         401   404  200  200  200  404      404      404       404
get_account        401   404  200  200  200  404      404      404       404
statement          401   404  403  200  200  404      404      404       404
top_up             401   404  403  202  202  404      404      404       404
pay_from_deposit   401   404  201  201  201  404      404      403       404
open_account       401   403  403  409  409  403      202      403       403
"""
PROBLEM_KINDS = {401: "unauthenticated", 403: "forbidden", 404: "not-found", 409: "deposit-account-exists"}


def _cells(table: str) -> list[tuple[str, str, int]]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    return [(row[0], role, int(status)) for row in rows for role, status in zip(header[1:], row[1:], strict=True)]


def test_every_caller_gets_the_answer_the_table_gives(payments_world: World) -> None:
    world = payments_world
    chan, lee = world.organisation(), world.organisation()
    clerk, administrator = world.caller("OU", chan), world.caller("PA", chan)
    callers: dict[str, Caller | None] = {
        "anon": None,
        "iu": world.caller("IU"),
        "ou": clerk,
        "pa": administrator,
        "sa": world.caller("SA", chan),
        "ou_else": world.caller("OU", lee),
        "pa_else": world.caller("PA", lee),
        "registry": world.caller("registry_officer"),
        "admin": world.caller("system_admin"),
    }
    account_id = world.open_deposit_account(administrator, 500_000)["deposit_account_id"]

    def post(path: str, body: dict[str, Any]) -> Callable[[Caller | None], TestResponse]:
        return lambda who: world.call("POST", path, who, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})

    actions: dict[str, Callable[[Caller | None], TestResponse]] = {
        "my_account": lambda who: world.call("GET", "/deposit-accounts/mine", who),
        "get_account": lambda who: world.call("GET", f"/deposit-accounts/{account_id}", who),
        "statement": lambda who: world.call("GET", f"/deposit-accounts/{account_id}/statement", who),
        "top_up": post(f"/deposit-accounts/{account_id}/top-ups", {"amount_cents": 10_000, "method": "pps"}),
        "pay_from_deposit": lambda who: world.pay(who, world.filing_submitted(clerk)["id"]),
        "open_account": post("/deposit-accounts", {"opening_amount_cents": 300_000, "method": "pps"}),
    }

    found = {}
    for action, role, _ in _cells(MATRIX):
        response = actions[action](callers[role])
        found[(action, role)] = response.status_code
        if response.status_code >= 400:
            kind = response.get_json()["type"].rsplit(":", 1)[1]
            assert response.mimetype == "application/problem+json", (action, role)
            assert kind == PROBLEM_KINDS[response.status_code], (action, role, kind)
    assert found == {(action, role): expected for action, role, expected in _cells(MATRIX)}
    assert world.ledger_sum() == 0 and world.unbalanced_transactions() == 0
    assert world.deposit_balance(account_id) == 500_000 - 3 * 50_400
