"""Query-string parameters read with bounds, so nothing absurd reaches a query (400 otherwise)."""

from __future__ import annotations

from flask import request

from chassis.web.problems import invalid_field


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter from ``low`` to ``high``; ``default`` when absent."""
    raw = request.args.get(name)
    if raw is None:
        return default
    # isdecimal() alone would let through digits such as '²' that int() refuses.
    if not (raw.isascii() and raw.isdecimal()) or not low <= int(raw) <= high:
        raise invalid_field(name, f"must be an integer from {low} to {high}")
    return int(raw)
