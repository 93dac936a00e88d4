"""``/fee-schedules`` and ``/fee-quotes``: what the courts charge, open to all (anonymous included).

``POST /fee-quotes`` is this system's GetFeesCalculation: the lines and total a list of fee items costs
in a court, through a channel, at an instant (default now). A body of the wrong shape is a 400 naming
each bad field; a well-shaped quote the schedule cannot price (unknown court or item, an item of another
court, one not in force at ``at``, a fine) is a 422 naming the field.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, Response, jsonify, request

from chassis.web.bodies import NO_NUL, closed_object, json_body, text
from chassis.web.problems import FieldError, Problem
from payments.domain.fees import CHANNELS, MAX_QUANTITY, FeeError, UnknownCourt
from payments.entrypoints.api.common import BASE
from payments.service_layer import errors
from payments.service_layer.deps import Deps

INSTANT = {"type": "string", "maxLength": 40, "pattern": NO_NUL}
#: Court and item codes are checked against the schedule, not here, so an unknown one is a 422 naming it.
FEE_QUOTE = closed_object(
    ["court", "items", "channel"],
    {
        "court": text(8),
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": closed_object(
                ["code", "quantity"],
                {"code": text(40), "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY}},
            ),
        },
        "channel": {"enum": list(CHANNELS)},
        "at": INSTANT,
    },
)


def install(app: Flask, deps: Deps) -> None:
    fees = deps.fees

    @app.get(f"{BASE}/fee-schedules")
    def list_fee_schedules() -> Response:
        return jsonify(fees.as_json(_at_arg(deps)))

    @app.get(f"{BASE}/fee-schedules/<court>")
    def get_fee_schedule(court: str) -> Response:
        at = _at_arg(deps)
        try:
            return jsonify(fees.court_as_json(court, at))
        except UnknownCourt:
            raise errors.not_found("fee schedule") from None

    @app.post(f"{BASE}/fee-quotes")
    def quote_fees() -> Response:
        body = json_body(FEE_QUOTE)
        at = _instant(body["at"], "at") if "at" in body else deps.now()
        # The schema lets 2.0 through as an integer; the schedule counts whole items.
        items = [(item["code"], int(item["quantity"])) for item in body["items"]]
        try:
            quote = fees.quote(body["court"], items, body["channel"], at)
        except FeeError as exc:
            raise not_quotable(exc) from None
        return jsonify(fees.quote_as_json(quote))


def not_quotable(exc: FeeError) -> Problem:
    """A 422 naming the field the schedule could not price."""
    return Problem(422, exc.kind, exc.title, exc.detail, errors=[FieldError(exc.field, exc.detail)])


def _at_arg(deps: Deps) -> datetime:
    raw = request.args.get("at")
    # An empty ``at`` is refused; only a missing one means now.
    return _instant(raw, "at") if raw is not None else deps.now()


def _instant(raw: str, field: str) -> datetime:
    """An ISO 8601 instant with its offset (``2026-03-02T09:10:00Z``); 400 otherwise."""
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise errors.invalid_field(field, "must be an ISO 8601 date and time, e.g. 2026-03-02T09:10:00Z") from None
    if parsed.tzinfo is None:
        raise errors.invalid_field(field, "must carry a time zone offset, e.g. Z or +08:00")
    if not 2000 <= parsed.year <= 2100:
        raise errors.invalid_field(field, "must be between the years 2000 and 2100")
    return parsed
