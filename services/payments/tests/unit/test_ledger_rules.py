"""The ledger's rules: account names, and that a transaction is two or more non-zero integer entries
summing to zero (debits positive, credits negative)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.domain.ledger import UnbalancedTransaction, checked, clearing, deposit, revenue, transfer


def test_ledger_accounts_are_named_by_kind_and_key() -> None:
    assert deposit("7b0c") == "deposit:7b0c"
    assert revenue("DC") == "revenue:DC"
    assert clearing("card") == "clearing:card" and clearing("pps") == "clearing:pps"


def test_a_transfer_debits_one_account_and_credits_the_other() -> None:
    assert list(transfer("clearing:card", "revenue:DC", 50_400)) == [("clearing:card", 50_400), ("revenue:DC", -50_400)]


def test_balanced_entries_pass_whole() -> None:
    entries = [("deposit:a", 10_000), ("revenue:DC", -7_000), ("revenue:HC", -3_000)]
    assert checked(entries) is entries


@pytest.mark.parametrize(
    "entries",
    [
        [("clearing:card", 100), ("revenue:DC", -99)],
        [("clearing:card", 100), ("revenue:DC", 100)],
        [("clearing:card", -1), ("revenue:DC", -1), ("deposit:a", 1)],
    ],
)
def test_entries_that_do_not_sum_to_zero_are_refused(entries: list[tuple[str, int]]) -> None:
    with pytest.raises(UnbalancedTransaction, match="do not balance"):
        checked(entries)


@pytest.mark.parametrize(
    "entries",
    [
        [],
        [("clearing:card", 0)],
        [("clearing:card", 100)],
        [("clearing:card", 0), ("revenue:DC", 0)],
        [("clearing:card", 100), ("revenue:DC", -100), ("deposit:a", 0)],
    ],
)
def test_a_transaction_moves_something_between_two_or_more_entries(entries: list[tuple[str, int]]) -> None:
    with pytest.raises(UnbalancedTransaction, match="two or more non-zero entries"):
        checked(entries)


@pytest.mark.parametrize(
    "entries",
    [
        [("clearing:card", 100.0), ("revenue:DC", -100.0)],
        [("clearing:card", 0.5), ("revenue:DC", -0.5)],
        [("clearing:card", Decimal(100)), ("revenue:DC", Decimal(-100))],
        [("clearing:card", "100"), ("revenue:DC", "-100")],
    ],
)
def test_amounts_are_integer_cents(entries: list[tuple[str, object]]) -> None:
    with pytest.raises(UnbalancedTransaction, match="integer cents"):
        checked(entries)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "entries",
    [
        [("clearing:card", True), ("revenue:DC", -1)],
        [("clearing:card", 1), ("revenue:DC", False)],
        [("clearing:card", True), ("revenue:DC", True), ("deposit:a", -2)],
    ],
)
def test_booleans_are_not_amounts(entries: list[tuple[str, object]]) -> None:
    # bool is an int to Python: True + True - 2 == 0 would otherwise balance.
    with pytest.raises(UnbalancedTransaction):
        checked(entries)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [0, -1, -50_400])
def test_a_transfer_moves_a_positive_amount(amount: int) -> None:
    with pytest.raises(UnbalancedTransaction, match="positive amount"):
        transfer("clearing:card", "revenue:DC", amount)


@pytest.mark.parametrize("amount", [True, 1.0, 504.5])
def test_a_transfer_moves_integer_cents(amount: object) -> None:
    with pytest.raises(UnbalancedTransaction):
        transfer("clearing:card", "revenue:DC", amount)  # type: ignore[arg-type]


@given(st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=8))
def test_any_split_of_a_debit_into_credits_balances(credits: list[int]) -> None:
    entries = [("clearing:card", sum(credits))] + [(f"revenue:{n}", -c) for n, c in enumerate(credits)]
    assert checked(entries) == entries


@given(
    st.lists(st.integers(min_value=-(10**12), max_value=10**12).filter(bool), min_size=2, max_size=8),
)
def test_entries_pass_exactly_when_they_sum_to_zero(amounts: list[int]) -> None:
    entries = [(f"deposit:{n}", a) for n, a in enumerate(amounts)]
    if sum(amounts) == 0:
        assert checked(entries) == entries
    else:
        with pytest.raises(UnbalancedTransaction):
            checked(entries)
