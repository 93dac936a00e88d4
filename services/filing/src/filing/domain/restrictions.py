"""Restriction orders (vexatious litigants): who may not file, in which courts, until when."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_NOT_A_WORD = re.compile(r"[\W_]+")


def name_key(name: str) -> str:
    """A name reduced for matching: case, accents, punctuation and spacing do not tell people apart,
    so "Chan, Tai-man" and "CHAN TAI MAN" are one person to the check."""
    # Decompose so an accent is a mark of its own, then drop the marks: "Chán" matches "Chan".
    bare = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    folded = unicodedata.normalize("NFKC", bare).casefold()
    return " ".join(_NOT_A_WORD.sub(" ", folded).split())


def in_force(made_on: date, expires_on: date | None, courts: list[str], court: str, today: date) -> bool:
    """Whether an order binds a filing in ``court`` on ``today`` (no courts listed means every court)."""
    if today < made_on or (expires_on is not None and today > expires_on):
        return False
    return not courts or court in courts
