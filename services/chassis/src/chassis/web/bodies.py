"""JSON request bodies checked against JSON Schemas, with problems that name every bad field."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from jsonschema import Draft202012Validator

from chassis.web.problems import FieldError, invalid, unsupported_media_type

#: Text of any kind but NUL, which no database stores in text (PostgreSQL refuses it outright).
NO_NUL = "^[^\\x00]*$"
ID = {"type": "string", "pattern": "^[0-9a-f-]{36}$"}


def text(max_length: int, min_length: int = 1) -> dict[str, Any]:
    """The schema of a bounded, NUL-free string."""
    return {"type": "string", "minLength": min_length, "maxLength": max_length, "pattern": NO_NUL}


def closed_object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """The schema of an object with exactly these properties (unknown ones refused)."""
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


def validate(document: Any, schema: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``document`` if it matches ``schema``; otherwise a 400 naming every bad field."""
    found = sorted(Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    if found:
        raise invalid([FieldError(_pointer(prefix, e.absolute_path), e.message[:300]) for e in found])
    return document


def whole(value: Any, field: str) -> int:
    """``value`` if it is written as a whole number; JSON Schema counts ``2.0`` as an integer, but money and
    counts of it are accepted only as written without a decimal point."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid([FieldError(field, "must be a whole number written without a decimal point")])
    return value


def _pointer(prefix: str, path: Any) -> str:
    return ".".join([prefix, *(str(p) for p in path)] if prefix else [str(p) for p in path])


def parse_json(raw: str | bytes, schema: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Decode and validate a JSON text."""
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid([FieldError(prefix, "is not valid JSON")], "The body is not valid JSON.") from None
    return validate(document, schema, prefix)


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON body, validated; an empty body counts as ``{}``."""
    if not request.mimetype == "application/json" and request.content_length:
        raise unsupported_media_type("Send application/json.")
    raw = request.get_data(cache=False)
    return parse_json(raw or b"{}", schema)
