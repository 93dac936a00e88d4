"""Case numbers as people type them: ``dcpi 1234/2026``, ``DCPI1234/2026``, ``DCPI 1234 / 2026``,
the same in full-width characters, or only part of one: ``DCPI``, ``DCPI /2026``,
``DCPI 1234``, ``1234/2026``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

_WHOLE = re.compile(
    r"""^
    (?P<prefix>[A-Z]{2,6})?
    \s*(?:N[O0]\.?\s*)?                    # "DCPI No. 1234/2026"
    (?P<number>\d{1,7})?
    \s*(?:(?:/|OF)\s*(?P<year>\d{4}))?     # "/2026" or "of 2026"
    $""",
    re.VERBOSE,
)
_INSIDE = re.compile(r"(?<![A-Z0-9])([A-Z]{2,6})\s*(\d{1,7})\s*/\s*(\d{4})(?![0-9])")
_SPACE_OF = re.compile(r"(?<=\d)\s+OF\s+(?=\d)")

MIN_YEAR = 1900
MAX_YEAR = 2999


@dataclass(frozen=True)
class CaseNumber:
    """A whole or partial case number: at least one of prefix, number and year is known."""

    prefix: str | None = None
    number: int | None = None
    year: int | None = None

    @property
    def is_whole(self) -> bool:
        return self.prefix is not None and self.number is not None and self.year is not None

    def __str__(self) -> str:
        """The court's way of writing it: ``DCPI 1234/2026``; a part shows what it leaves open."""
        number = "" if self.number is None else str(self.number)
        year = "" if self.year is None else f"/{self.year}"
        return " ".join(part for part in (self.prefix or "", f"{number}{year}") if part)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).upper().strip()


def parse_case_number(text: str) -> CaseNumber | None:
    """The case number in ``text``, whole or partial, or None when ``text`` is not one."""
    folded = " ".join(_fold(text).replace("-", " ").split())
    if not folded:
        return None
    match = _WHOLE.match(folded)
    if match is None:
        return None
    prefix, number, year = match.group("prefix"), match.group("number"), match.group("year")
    if prefix is None and number is None and year is None:
        return None
    if number is not None and int(number) == 0:
        return None
    if year is not None and not MIN_YEAR <= int(year) <= MAX_YEAR:
        return None
    if prefix is None and year is None:
        return None  # a bare number is not a case number
    return CaseNumber(prefix, int(number) if number else None, int(year) if year else None)


def find_case_numbers(text: str, prefixes: Collection[str]) -> tuple[list[CaseNumber], str]:
    """The whole case numbers of known case types written in free text, and the text without them.

    ``"negligence DCPI 1234/2026"`` gives ``[DCPI 1234/2026]`` and ``"NEGLIGENCE"`` (full-text search
    ignores case).
    """
    folded = _SPACE_OF.sub("/", _fold(text))
    found: list[CaseNumber] = []
    spans: list[tuple[int, int]] = []
    for match in _INSIDE.finditer(folded):
        prefix, number, year = match.group(1), int(match.group(2)), int(match.group(3))
        if prefix in prefixes and number > 0 and MIN_YEAR <= year <= MAX_YEAR:
            number_found = CaseNumber(prefix, number, year)
            if number_found not in found:
                found.append(number_found)
            spans.append(match.span())
    rest = folded
    for start, end in reversed(spans):
        rest = rest[:start] + " " + rest[end:]
    return found, " ".join(rest.split())
