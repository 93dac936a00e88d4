"""The JSON bodies identity accepts, as JSON Schemas, and how a request's body is read against one."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from jsonschema import Draft202012Validator

from chassis.web.problems import FieldError
from identity.domain.limits import CEILING, LIMIT_NAMES
from identity.domain.roles import EMPOWERMENTS, ORGANISATION_ROLES, ORGANISATION_TYPES
from identity.service_layer import errors

#: Text of any kind but NUL, which no database stores in text (PostgreSQL refuses it outright).
NO_NUL = "^[^\\x00]*$"


def _text(max_length: int, min_length: int = 1) -> dict[str, Any]:
    return {"type": "string", "minLength": min_length, "maxLength": max_length, "pattern": NO_NUL}


USERNAME = _text(64, 3)
PASSWORD = _text(1024)  # the password rules give the precise answer; this only bounds the work
EMAIL = {"type": "string", "maxLength": 254, "pattern": r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"}
ID = {"type": "string", "pattern": "^[0-9a-f-]{36}$"}


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


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


def validate(document: Any, schema: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``document`` if it matches ``schema``; otherwise a 400 naming every bad field."""
    found = sorted(Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    if found:
        raise errors.invalid([FieldError(_pointer(prefix, e.absolute_path), e.message[:300]) for e in found])
    return document


def _pointer(prefix: str, path: Any) -> str:
    return ".".join([prefix, *(str(p) for p in path)] if prefix else [str(p) for p in path])


def parse_json(text: str | bytes, schema: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Decode and validate a JSON text."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid([FieldError(prefix, "is not valid JSON")], "The body is not valid JSON.") from None
    return validate(document, schema, prefix)


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON body, validated; an empty body counts as ``{}``."""
    if not request.mimetype == "application/json" and request.content_length:
        raise errors.unsupported_media_type("Send application/json.")
    raw = request.get_data(cache=False)
    return parse_json(raw or b"{}", schema)
