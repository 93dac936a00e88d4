"""The three searches' queries, checked when made, and the cursors that page through them.

Every query is validated here, so that the HTTP layer can turn :class:`InvalidQuery` into a
problem+json with field errors and the stores never see nonsense. Pages are keyset-paged in a
stable order: cases by ``filed_at`` then ``case_id`` (both descending); documents by phrase match,
case-number match, score, date and ``document_id`` (all descending). A cursor is the sort key of the
last row served, opaque to clients (url-safe base64 of JSON).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from search.domain.case_numbers import CaseNumber, parse_case_number
from search.domain.names import normalise_name

HONG_KONG = ZoneInfo("Asia/Hong_Kong")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_TEXT = 200


class InvalidQuery(ValueError):
    """A query that cannot be run; ``errors`` maps each offending field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _code(value: str | None) -> str | None:
    if value is None:
        return None
    folded = unicodedata.normalize("NFKC", value).strip().upper()
    return folded or None


def _check_common(
    errors: dict[str, str], limit: int, start: date | None, end: date | None, names: tuple[str, str]
) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = f"must be a whole number from 1 to {MAX_LIMIT}"
    if start is not None and end is not None and start > end:
        errors[names[1]] = f"must not be before {names[0]}"


def hong_kong_day_range(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC bounds [from, to) of the Hong Kong calendar days ``start`` to ``end`` inclusive."""
    lower = datetime.combine(start, time(0), HONG_KONG).astimezone(UTC) if start else None
    upper = datetime.combine(end + timedelta(days=1), time(0), HONG_KONG).astimezone(UTC) if end else None
    return lower, upper


@dataclass(frozen=True)
class CauseBookQuery:
    """The public cause book: any mix of case number (whole or partial), party name, court, case type,
    year of the case number and filing dates (Hong Kong days, inclusive)."""

    case_number: str | None = None
    party: str | None = None
    court: str | None = None
    case_type: str | None = None
    year: int | None = None
    filed_from: date | None = None
    filed_to: date | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        object.__setattr__(self, "court", _code(self.court))
        object.__setattr__(self, "case_type", _code(self.case_type))
        number: CaseNumber | None = None
        if self.case_number is not None and self.case_number.strip():
            if len(self.case_number) > MAX_TEXT:
                errors["case_number"] = f"at most {MAX_TEXT} characters"
            else:
                number = parse_case_number(self.case_number)
                if number is None:
                    errors["case_number"] = "not a case number: write it as PREFIX N/YYYY, e.g. DCPI 1234/2026"
        object.__setattr__(self, "_number", number)
        party = None
        if self.party is not None and self.party.strip():
            if len(self.party) > MAX_TEXT:
                errors["party"] = f"at most {MAX_TEXT} characters"
            else:
                party = normalise_name(self.party) or None
                if party is None:
                    errors["party"] = "give a name with at least one letter or digit"
        object.__setattr__(self, "_party", party)
        if self.year is not None and (isinstance(self.year, bool) or not 1900 <= self.year <= 2999):
            errors["year"] = "must be a year such as 2026"
        _check_common(errors, self.limit, self.filed_from, self.filed_to, ("filed_from", "filed_to"))
        after = None
        if self.cursor is not None:
            try:
                after = CaseCursor.decode(self.cursor)
            except InvalidQuery as exc:
                errors.update(exc.errors)
        object.__setattr__(self, "_after", after)
        if errors:
            raise InvalidQuery(errors)

    @property
    def number(self) -> CaseNumber | None:
        """The case number asked for, parsed."""
        return self._number  # type: ignore[attr-defined,no-any-return]

    @property
    def party_name(self) -> str | None:
        """The party name asked for, normalised (see :func:`search.domain.names.normalise_name`)."""
        return self._party  # type: ignore[attr-defined,no-any-return]

    @property
    def after(self) -> CaseCursor | None:
        """Where the previous page ended."""
        return self._after  # type: ignore[attr-defined,no-any-return]

    def filed_range(self) -> tuple[datetime | None, datetime | None]:
        return hong_kong_day_range(self.filed_from, self.filed_to)


@dataclass(frozen=True)
class MyCasesQuery:
    """The caller's own cases (as party, representative or member of an assigned OU), with the
    cause book's filters."""

    account_id: str
    filters: CauseBookQuery = CauseBookQuery()

    def __post_init__(self) -> None:
        if not self.account_id or len(self.account_id) > 64:
            raise InvalidQuery({"account_id": "an account id is required"})


@dataclass(frozen=True)
class DocumentQuery:
    """Full-text search of public documents: words (and case numbers) in ``text``, court, case type,
    dates (inclusive). An empty ``text`` lists the documents matching the filters, newest first."""

    text: str | None = None
    court: str | None = None
    case_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        object.__setattr__(self, "court", _code(self.court))
        object.__setattr__(self, "case_type", _code(self.case_type))
        text = unicodedata.normalize("NFKC", self.text or "").strip()
        if len(text) > MAX_TEXT:
            errors["text"] = f"at most {MAX_TEXT} characters"
        object.__setattr__(self, "text", text or None)
        _check_common(errors, self.limit, self.date_from, self.date_to, ("date_from", "date_to"))
        after = None
        if self.cursor is not None:
            try:
                after = DocumentCursor.decode(self.cursor)
            except InvalidQuery as exc:
                errors.update(exc.errors)
        object.__setattr__(self, "_after", after)
        if errors:
            raise InvalidQuery(errors)

    @property
    def after(self) -> DocumentCursor | None:
        return self._after  # type: ignore[attr-defined,no-any-return]


def words(text: str) -> list[str]:
    """The words of free text for a full-text search: letters and digits only (so no user input can
    ever become full-text query syntax), case-folded, accents kept for the index's own folding."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch if ch.isalnum() else " " for ch in folded).split()


def _encode(kind: str, values: list[Any]) -> str:
    raw = json.dumps([kind, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(kind: str, token: str, size: int) -> list[Any]:
    bad = InvalidQuery({"cursor": "not a cursor this search gave out"})
    if not isinstance(token, str) or len(token) > 400:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(values, list) or len(values) != size + 1 or values[0] != kind:
        raise bad
    return values[1:]


@dataclass(frozen=True)
class CaseCursor:
    filed_at: datetime
    case_id: str

    def encode(self) -> str:
        return _encode("c", [self.filed_at.astimezone(UTC).isoformat(), self.case_id])

    @classmethod
    def decode(cls, token: str) -> CaseCursor:
        filed_at, case_id = _decode("c", token, 2)
        try:
            moment = datetime.fromisoformat(filed_at)
        except (TypeError, ValueError):
            raise InvalidQuery({"cursor": "not a cursor this search gave out"}) from None
        if moment.tzinfo is None or not isinstance(case_id, str) or len(case_id) > 64:
            raise InvalidQuery({"cursor": "not a cursor this search gave out"})
        return cls(moment.astimezone(UTC), case_id)


@dataclass(frozen=True)
class DocumentCursor:
    phrase_match: int
    case_number_match: int
    score: float
    dated: date
    document_id: str

    def encode(self) -> str:
        return _encode(
            "d",
            [self.phrase_match, self.case_number_match, self.score, self.dated.isoformat(), self.document_id],
        )

    @classmethod
    def decode(cls, token: str) -> DocumentCursor:
        phrase, case_match, score, dated, document_id = _decode("d", token, 5)
        bad = InvalidQuery({"cursor": "not a cursor this search gave out"})
        if phrase not in (0, 1) or case_match not in (0, 1) or isinstance(phrase, bool) or isinstance(case_match, bool):
            raise bad
        if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
            raise bad
        if not isinstance(document_id, str) or len(document_id) > 64:
            raise bad
        try:
            day = date.fromisoformat(dated)
        except (TypeError, ValueError):
            raise bad from None
        return cls(phrase, case_match, float(score), day, document_id)
