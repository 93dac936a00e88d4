"""``/deposit-accounts``: an organisation's deposit account, opened and topped up by card or PPS.

An organisation's administrators (PA, SA) open its account, top it up and read its statement; its
organisation users (OU) see the account and its balance. Accounts of other organisations are 404s.
Opening and top-ups answer 202 with the payment's ``redirect_url`` to the provider's page; the money
arrives with the provider's webhook.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, Response, jsonify, request

from chassis.web.bodies import closed_object, json_body, text, whole
from chassis.web.principal import current_principal
from chassis.web.queries import int_arg
from payments.adapters.providers import CARD_BRANDS, METHODS
from payments.entrypoints.api.common import BASE, answer, required_idempotency_key
from payments.service_layer import deposit_accounts, errors
from payments.service_layer.deps import Deps

#: Whole cents, at most HK$10,000,000 in one payment.
CENTS = {"type": "integer", "minimum": 1, "maximum": deposit_accounts.MAXIMUM_PAYMENT_CENTS}
PROVIDER_PAYMENT = {
    "method": {"enum": list(METHODS)},
    "card_brand": {"enum": list(CARD_BRANDS)},
    "return_url": text(500),
}
OPENING = closed_object(["opening_amount_cents", "method"], {"opening_amount_cents": CENTS, **PROVIDER_PAYMENT})
TOP_UP = closed_object(["amount_cents", "method"], {"amount_cents": CENTS, **PROVIDER_PAYMENT})
MAX_STATEMENT_PAGE = 500


def install(app: Flask, deps: Deps) -> None:
    @app.post(f"{BASE}/deposit-accounts")
    def open_deposit_account() -> tuple[Response, int]:
        principal = current_principal()
        key = required_idempotency_key()
        body = money_body(OPENING, "opening_amount_cents")
        return answer(*deposit_accounts.request_opening(deps, principal, body, key))

    @app.get(f"{BASE}/deposit-accounts/mine")
    def my_deposit_account() -> Response:
        return jsonify(deposit_accounts.mine(deps, current_principal()))

    @app.get(f"{BASE}/deposit-accounts/<uuid:deposit_account_id>")
    def get_deposit_account(deposit_account_id: object) -> Response:
        return jsonify(deposit_accounts.get(deps, current_principal(), str(deposit_account_id)))

    @app.get(f"{BASE}/deposit-accounts/<uuid:deposit_account_id>/statement")
    def deposit_statement(deposit_account_id: object) -> Response:
        period = deposit_accounts.Period(_date_arg("from"), _date_arg("to"))
        if period.first and period.last and period.first > period.last:
            raise errors.invalid_field("to", "must not be before from")
        limit = int_arg("limit", 100, 1, MAX_STATEMENT_PAGE)
        offset = int_arg("offset", 0, 0, 10**9)
        return jsonify(
            deposit_accounts.statement(deps, current_principal(), str(deposit_account_id), period, limit, offset)
        )

    @app.post(f"{BASE}/deposit-accounts/<uuid:deposit_account_id>/top-ups")
    def top_up_deposit_account(deposit_account_id: object) -> tuple[Response, int]:
        principal = current_principal()
        key = required_idempotency_key()
        body = money_body(TOP_UP, "amount_cents")
        return answer(*deposit_accounts.request_top_up(deps, principal, str(deposit_account_id), body, key))


def money_body(schema: dict[str, Any], field: str) -> dict[str, Any]:
    """The JSON body, with its amount a JSON integer: ``3000.0`` passes the schema's integer but is refused."""
    body = json_body(schema)
    whole(body[field], field)
    return body


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise errors.invalid_field(name, "must be a date written YYYY-MM-DD (a Hong Kong calendar day)") from None
    # As for instants: the statement counts to the day after `to`, which 9999-12-31 has not.
    if not 2000 <= day.year <= 2100:
        raise errors.invalid_field(name, "must be between the years 2000 and 2100")
    return day
