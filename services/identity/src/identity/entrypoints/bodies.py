"""The JSON bodies identity accepts, as JSON Schemas, and how a request's body is read against one."""

from __future__ import annotations

from chassis.web.bodies import ID, NO_NUL, json_body, parse_json, validate
from chassis.web.bodies import closed_object as _object
from chassis.web.bodies import text as _text
from identity.domain.limits import CEILING, LIMIT_NAMES
from identity.domain.roles import EMPOWERMENTS, ORGANISATION_ROLES, ORGANISATION_TYPES

USERNAME = _text(64, 3)
PASSWORD = _text(1024)  # the password rules give the precise answer; this only bounds the work
EMAIL = {"type": "string", "maxLength": 254, "pattern": r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"}


APPLICATION = _object(
    ["kind", "username", "password", "display_name", "email"],
    {
        "kind": {"enum": ["individual", "organisation"]},
        "username": USERNAME,
        "password": PASSWORD,
        "display_name": _text(200),
        "email": EMAIL,
        "phone": {"type": "string", "pattern": r"^\+?[0-9 -]{6,20}$"},
        "organisation": _object(
            ["name", "organisation_type", "address"],
            {
                "name": _text(200),
                "organisation_type": {"enum": list(ORGANISATION_TYPES)},
                "business_registration_number": {"type": "string", "pattern": "^[0-9A-Za-z-]{1,40}$"},
                "address": _text(500),
                "branch_code": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,20}$"},
                "branch_name": _text(200),
            },
        ),
    },
)
LOGIN = _object(
    ["username", "password"],
    {"username": _text(64), "password": PASSWORD, "totp_code": {"type": "string", "maxLength": 10, "pattern": NO_NUL}},
)
REFRESH = _object(["refresh_token"], {"refresh_token": _text(200)})
PASSWORD_CHANGE = _object(
    ["current_password", "new_password"], {"current_password": PASSWORD, "new_password": PASSWORD}
)
TOTP_CONFIRM = _object(["code"], {"code": {"type": "string", "pattern": "^[0-9]{6}$"}})
REJECTION = _object(["reason"], {"reason": _text(1000)})
NEW_ACCOUNT = _object(
    ["username", "password", "display_name", "email", "role", "branch_id"],
    {
        "username": USERNAME,
        "password": PASSWORD,
        "display_name": _text(200),
        "email": EMAIL,
        "role": {"enum": list(ORGANISATION_ROLES)},
        "branch_id": ID,
    },
)
ACCOUNT_CHANGE = {**_object([], {"display_name": _text(200), "email": EMAIL, "branch_id": ID}), "minProperties": 1}
SUSPENSION = _object([], {"reason": _text(1000, 0)})
EMPOWERMENT = _object(
    ["empowerments"], {"empowerments": {"type": "array", "items": {"enum": list(EMPOWERMENTS)}, "uniqueItems": True}}
)
NEW_BRANCH = _object(
    ["code", "name"], {"code": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,20}$"}, "name": _text(200)}
)
DEFAULT_USER = _object(["account_id"], {"account_id": ID})
QUOTA_REQUEST = _object(
    ["reason"],
    {"reason": _text(1000), **{name: {"type": "integer", "minimum": 1, "maximum": CEILING} for name in LIMIT_NAMES}},
)
DECISION = _object([], {"note": _text(1000, 0)})
ASSIGNMENT = _object(["case_id", "account_id"], {"case_id": ID, "account_id": ID})


__all__ = ["json_body", "parse_json", "validate"]
