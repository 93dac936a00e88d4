"""Validation of envelopes and their data against the JSON Schemas in ``contracts/``.

Layout: ``contracts/envelope.v1.schema.json`` for the envelope and
``contracts/events/<type>.v<major>.schema.json`` for each event's ``data``. The chassis validates on
publish (a producer can never emit what its contract forbids) and on consume (a consumer never acts
on what it cannot trust).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

SCHEMA_SUFFIX = ".schema.json"


class InvalidEvent(ValueError):
    """An envelope or its data breaks its contract, or its type has no contract at all."""


class SchemaRegistry:
    """Every event schema known to this process, keyed by routing key (``<type>.v<major>``)."""

    def __init__(self, envelope_schema: dict[str, Any], data_schemas: dict[str, dict[str, Any]]) -> None:
        checker = FormatChecker()
        Draft202012Validator.check_schema(envelope_schema)
        self._envelope = Draft202012Validator(envelope_schema, format_checker=checker)
        self._data: dict[str, Draft202012Validator] = {}
        for key, schema in data_schemas.items():
            Draft202012Validator.check_schema(schema)
            self._data[key] = Draft202012Validator(schema, format_checker=checker)

    @classmethod
    def load(cls, contracts: Path, extra_event_dirs: Iterable[Path] = ()) -> SchemaRegistry:
        """Read the envelope schema and every event schema under ``contracts/events`` (and extras)."""
        envelope = json.loads((contracts / "envelope.v1.schema.json").read_text())
        data: dict[str, dict[str, Any]] = {}
        for folder in (contracts / "events", *extra_event_dirs):
            for path in sorted(folder.glob(f"*{SCHEMA_SUFFIX}")):
                data[path.name.removesuffix(SCHEMA_SUFFIX)] = json.loads(path.read_text())
        return cls(envelope, data)

    @property
    def routing_keys(self) -> frozenset[str]:
        """Every ``<type>.v<major>`` with a schema."""
        return frozenset(self._data)

    def validate(self, body: Any) -> None:
        """Raise :class:`InvalidEvent` unless ``body`` is a valid envelope with valid data."""
        _check(self._envelope, body, "envelope")
        key = f"{body['type']}.v{body['dataversion'].split('.', 1)[0]}"
        validator = self._data.get(key)
        if validator is None:
            raise InvalidEvent(f"no schema for event {key}")
        _check(validator, body["data"], key)


def _check(validator: Draft202012Validator, instance: Any, what: str) -> None:
    error = best_match(validator.iter_errors(instance))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise InvalidEvent(f"{what} invalid at {where}: {error.message}")
