"""The pure rules: who may manage whom, passwords, usernames, one-time codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from identity.domain import credentials, permissions
from identity.domain.permissions import Actor
from identity.domain.roles import ASSIGN_ACROSS_BRANCHES, MANAGE_SECONDARY_ADMINS, OU, PA, SA

PA_ = Actor("pa", PA, "org", "hq")
SA_ = Actor("sa", SA, "org", "hq")
SA_EMPOWERED = Actor("sa2", SA, "org", "hq", frozenset({MANAGE_SECONDARY_ADMINS, ASSIGN_ACROSS_BRANCHES}))
OU_ = Actor("ou", OU, "org", "hq")


@pytest.mark.parametrize(("actor", "target", "allowed"), [
    (PA_, PA, True), (PA_, SA, True), (PA_, OU, True),
    (SA_, PA, False), (SA_, SA, False), (SA_, OU, True),
    (SA_EMPOWERED, PA, False), (SA_EMPOWERED, SA, True), (SA_EMPOWERED, OU, True),
    (OU_, OU, False),
])  # fmt: skip
def test_who_manages_which_accounts(actor: Actor, target: str, allowed: bool) -> None:
    assert permissions.may_manage_account(actor, target) is allowed


def test_nobody_manages_their_own_account_through_the_organisation() -> None:
    assert not permissions.may_manage_account(PA_, PA, target_id="pa")


def test_an_sa_assigns_in_its_own_branch_unless_empowered() -> None:
    assert permissions.may_assign_case(SA_, "hq") and not permissions.may_assign_case(SA_, "kowloon")
    assert permissions.may_assign_case(SA_EMPOWERED, "kowloon") and permissions.may_assign_case(PA_, "kowloon")
    assert not permissions.may_assign_case(OU_, "hq")


@pytest.mark.parametrize(("password", "problem"), [
    ("short", "at least 12"), ("x" * 129, "at most 128"), ("my name is alice.chan ok", "username"),
    ("a perfectly fine passphrase", None),
])  # fmt: skip
def test_password_rules(password: str, problem: str | None) -> None:
    found = credentials.password_problem(password, "alice.chan")
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(("raw", "ok"), [
    ("Alice.Chan", True), ("ab", False), ("a" * 65, False), ("x'; DROP TABLE accounts;--", False), ("-lead", False),
])  # fmt: skip
def test_usernames_are_folded_and_checked(raw: str, ok: bool) -> None:
    assert (credentials.username_problem(credentials.normalise_username(raw)) is None) is ok


def test_a_totp_code_is_accepted_once_and_within_one_step_of_drift() -> None:
    secret = pyotp.random_base32()
    at = datetime(2026, 11, 23, 9, 0, 15, tzinfo=UTC)
    code = pyotp.TOTP(secret).at(at)
    step = credentials.accepted_totp_step(secret, code, at, None)
    assert step is not None
    assert credentials.accepted_totp_step(secret, code, at, step) is None  # replay
    assert credentials.accepted_totp_step(secret, code, at + timedelta(seconds=30), None) == step  # drift
    assert credentials.accepted_totp_step(secret, code, at + timedelta(seconds=90), None) is None
    assert credentials.accepted_totp_step(secret, "12345", at, None) is None
