"""The ledger's rules: which accounts money moves between, and that every movement balances.

Double entry: a transaction is a set of entries, debit positive and credit negative, summing to zero.
A deposit account is the court's liability to the firm, so the firm's balance is minus the sum of its
entries; fees earned are credited to the court's revenue; card and PPS money sits in the provider's
clearing account until the provider settles with the court.
"""

from __future__ import annotations

from collections.abc import Sequence


class UnbalancedTransaction(ValueError):
    """Entries that do not sum to zero, or that move nothing."""


def deposit(deposit_account_id: str) -> str:
    return f"deposit:{deposit_account_id}"


def revenue(court: str) -> str:
    return f"revenue:{court}"


def clearing(method: str) -> str:
    return f"clearing:{method}"


def unapplied(method: str) -> str:
    """Card or PPS money that arrived for something no longer payable: owed back to the payer until returned."""
    return f"unapplied:{method}"


def checked(entries: Sequence[tuple[str, int]]) -> Sequence[tuple[str, int]]:
    """``entries`` if they form a valid transaction: at least two, no zero amounts, summing to zero."""
    if len(entries) < 2 or any(amount == 0 or isinstance(amount, bool) for _, amount in entries):
        raise UnbalancedTransaction(f"a transaction needs two or more non-zero entries, got {list(entries)}")
    if any(not isinstance(amount, int) for _, amount in entries):
        raise UnbalancedTransaction("ledger amounts are integer cents")
    if sum(amount for _, amount in entries) != 0:
        raise UnbalancedTransaction(f"entries do not balance: {list(entries)}")
    return entries


def transfer(debit: str, credit: str, amount_cents: int) -> Sequence[tuple[str, int]]:
    """A movement of ``amount_cents`` (> 0) from ``credit`` to ``debit``."""
    if amount_cents <= 0:
        raise UnbalancedTransaction(f"a transfer moves a positive amount, got {amount_cents}")
    return checked([(debit, amount_cents), (credit, -amount_cents)])
