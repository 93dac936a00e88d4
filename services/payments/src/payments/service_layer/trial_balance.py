"""The trial balance: every ledger account's debits, credits and balance, summed from the entries.

Double entry means the balances total zero; the report shows the total and the count of transactions
that do not balance (zero, unless something wrote around ``ledger.post``) rather than assuming it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from chassis.clock import iso
from chassis.web.principal import Principal
from payments.adapters.tables import LedgerEntry
from payments.domain import access
from payments.service_layer import errors
from payments.service_layer.deps import Deps


def trial_balance(deps: Deps, principal: Principal) -> dict[str, Any]:
    """The ledger as it stands now: for registry officers and system administrators."""
    if not principal.authenticated:
        raise errors.unauthenticated()
    if not access.may_read_ledger(principal):
        raise errors.forbidden("Only registry officers and system administrators read the ledger.")
    at = deps.now()
    amount = LedgerEntry.amount_cents
    zero = sa.literal(0, sa.BigInteger)
    per_transaction = sa.select(LedgerEntry.transaction_id).group_by(LedgerEntry.transaction_id)
    with deps.unit_of_work() as uow:
        db = uow.session
        if db.get_bind().dialect.name == "postgresql":
            # The report's queries read one snapshot, so its sums and counts agree with each other.
            db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        rows = db.execute(
            sa.select(
                LedgerEntry.account,
                sa.func.sum(sa.case((amount > 0, amount), else_=zero)),
                sa.func.sum(sa.case((amount < 0, -amount), else_=zero)),
                sa.func.count(),
            )
            .group_by(LedgerEntry.account)
            .order_by(LedgerEntry.account)
        ).all()
        transactions = db.scalar(sa.select(sa.func.count()).select_from(per_transaction.subquery())) or 0
        unbalanced_query = per_transaction.having(sa.func.sum(amount) != 0).subquery()
        unbalanced = db.scalar(sa.select(sa.func.count()).select_from(unbalanced_query)) or 0
    accounts = [
        {
            "account": account,
            "kind": account.split(":", 1)[0],
            "debit_cents": int(debits),
            "credit_cents": int(credits),
            "balance_cents": int(debits) - int(credits),
            "entries": int(entries),
        }
        for account, debits, credits, entries in rows
    ]
    debit_total = sum(a["debit_cents"] for a in accounts)
    credit_total = sum(a["credit_cents"] for a in accounts)
    return {
        "at": iso(at),
        "currency": "HKD",
        "accounts": accounts,
        "debit_total_cents": debit_total,
        "credit_total_cents": credit_total,
        "total_cents": debit_total - credit_total,
        "balanced": debit_total == credit_total and unbalanced == 0,
        "counts": {
            "accounts": len(accounts),
            "transactions": int(transactions),
            "entries": sum(a["entries"] for a in accounts),
            "unbalanced_transactions": int(unbalanced),
        },
    }
