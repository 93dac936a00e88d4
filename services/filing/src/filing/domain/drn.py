"""Document Reference Numbers (DOMAIN.md section 6): the number printed on every document the court
issues, by which anyone can check that a copy is genuine.

Twelve digits: eleven drawn at random (the first never zero, so the number keeps its length whatever
tool reads it) and a Damm check digit. Random rather than sequential, so that knowing one DRN tells
nobody the next; the Damm digit catches every single mistyped digit and every swap of two
neighbouring digits, so a typo is told apart from a number the court never issued.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from enum import Enum

from stdnum import damm

LENGTH = 12
_BODY_LOW = 10**10  # the smallest eleven-digit number
_BODY_COUNT = 9 * 10**10  # how many eleven-digit numbers there are
_SEPARATORS = re.compile(r"[\s-]+")
_TWELVE_DIGITS = re.compile(r"[0-9]{12}")


class Verdict(Enum):
    """What a DRN someone typed is, before anyone looks it up."""

    MALFORMED = "malformed"
    """Not twelve digits at all."""
    MISTYPED = "mistyped"
    """Twelve digits whose check digit is wrong: a typo, never a number the court issued."""
    WELL_FORMED = "well_formed"
    """Twelve digits with a good check digit: the court may have issued it."""


def new_drn(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A fresh DRN: eleven random digits from the operating system's CSPRNG and their check digit."""
    body = str(_BODY_LOW + randbelow(_BODY_COUNT))
    return body + damm.calc_check_digit(body)


def normalise(raw: str) -> str:
    """``raw`` without the spaces and hyphens people write DRNs with ("1234 5678 9012", "1234-5678-9012")."""
    return _SEPARATORS.sub("", raw)


def classify(raw: str) -> tuple[Verdict, str]:
    """The verdict on ``raw`` and the DRN in its plain twelve-digit form."""
    drn = normalise(raw)
    if not _TWELVE_DIGITS.fullmatch(drn):
        return Verdict.MALFORMED, drn
    if not damm.is_valid(drn):
        return Verdict.MISTYPED, drn
    return Verdict.WELL_FORMED, drn


def printed(drn: str) -> str:
    """The DRN as documents print it, in groups of four: ``1234 5678 9012``."""
    return " ".join(drn[i : i + 4] for i in range(0, LENGTH, 4))
