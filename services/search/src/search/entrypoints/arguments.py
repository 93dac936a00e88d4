"""Query-string parameters into search's query objects, every bad field named in one 400.

The HTTP layer checks what the OpenAPI document says of each parameter (type, length, pattern, range)
so that nothing outside it reaches a query; the query objects then check what only they know (a
case number that is not one, a cursor this search never gave out, ``to`` before ``from``). Both sets
of errors come back together as ``invalid-request`` problem+json. A parameter given empty or twice,
or one the endpoint does not know, is a 400 too, so that a misspelt or doubled filter is never
silently ignored (showing every case instead of the ones asked for).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import TypeVar

from werkzeug.datastructures import MultiDict

from chassis.web.problems import FieldError, invalid
from search.domain.queries import DEFAULT_LIMIT, MAX_LIMIT, MAX_TEXT, CauseBookQuery, DocumentQuery, InvalidQuery

Q = TypeVar("Q")

#: A court code or case type prefix, in any case ("dcpi" is DCPI).
_CODE = re.compile(r"[A-Za-z]{1,8}")
#: A day in the years 2000 to 2100, YYYY-MM-DD; whether it exists is date.fromisoformat's to say.
_DAY = re.compile(r"(?:20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}")
#: What a cursor is made of (url-safe base64 without padding), at most 400 characters.
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,400}")
MIN_YEAR, MAX_YEAR = 1900, 2999
#: Unknown parameters named in one answer, and how much of each name.
MAX_UNKNOWN, MAX_NAME = 10, 64


class Arguments:
    """Reads one request's query parameters, collecting what is wrong with each."""

    def __init__(self, args: MultiDict[str, str]) -> None:
        self._args = args
        self._read: set[str] = set()
        self.errors: dict[str, str] = {}

    def _raw(self, name: str) -> str | None:
        self._read.add(name)
        values = self._args.getlist(name)
        if len(values) > 1:
            self.errors[name] = "give it once"
        elif values and not values[0]:
            self.errors[name] = "give a value, or leave the parameter out"
        return values[0] if len(values) == 1 and values[0] else None

    def text(self, name: str) -> str | None:
        value = self._raw(name)
        if value is None:
            return None
        if len(value) > MAX_TEXT or "\x00" in value:
            self.errors[name] = f"must be at most {MAX_TEXT} characters of text"
            return None
        return value

    def code(self, name: str) -> str | None:
        value = self._raw(name)
        if value is not None and not _CODE.fullmatch(value):
            self.errors[name] = "must be a code of 1 to 8 letters, e.g. DC or DCPI"
            return None
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self._raw(name)
        if value is None:
            return None
        # isdecimal() alone would let through digits such as '²' that int() refuses.
        if not (value.isascii() and value.isdecimal()) or not low <= int(value) <= high:
            self.errors[name] = f"must be an integer from {low} to {high}"
            return None
        return int(value)

    def day(self, name: str) -> date | None:
        value = self._raw(name)
        if value is None:
            return None
        if _DAY.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.errors[name] = "must be a day YYYY-MM-DD in the years 2000 to 2100"
        return None

    def cursor(self) -> str | None:
        value = self._raw("cursor")
        if value is not None and not _CURSOR.fullmatch(value):
            self.errors["cursor"] = "not a cursor this search gave out"
            return None
        return value

    def limit(self) -> int:
        return self.integer("limit", 1, MAX_LIMIT) or DEFAULT_LIMIT

    def build(self, make: Callable[..., Q], renamed: Mapping[str, str] | None = None, **fields: object) -> Q:
        """``make(**fields)``, or a 400 naming every bad parameter: this reader's and the query's own
        (whose field names ``renamed`` maps to the parameters')."""
        renamed = renamed or {}
        for name in sorted(set(self._args) - self._read)[:MAX_UNKNOWN]:
            self.errors[name[:MAX_NAME]] = "not a parameter of this search"
        query: Q | None = None
        try:
            query = make(**fields)
        except InvalidQuery as exc:
            found = {renamed.get(field, field): _renamed_in(message, renamed) for field, message in exc.errors.items()}
            self.errors = {**found, **self.errors}
        if self.errors or query is None:
            raise invalid([FieldError(field, message) for field, message in self.errors.items()])
        return query


def _renamed_in(message: str, renamed: Mapping[str, str]) -> str:
    for field, parameter in renamed.items():
        message = re.sub(rf"\b{field}\b", parameter, message)
    return message


def cause_book_query(args: MultiDict[str, str]) -> CauseBookQuery:
    """``case_number``, ``party``, ``court``, ``case_type``, ``year``, ``filed_from``, ``filed_to``,
    ``limit`` and ``cursor`` (for the cause book and for my cases alike)."""
    read = Arguments(args)
    return read.build(
        CauseBookQuery,
        case_number=read.text("case_number"),
        party=read.text("party"),
        court=read.code("court"),
        case_type=read.code("case_type"),
        year=read.integer("year", MIN_YEAR, MAX_YEAR),
        filed_from=read.day("filed_from"),
        filed_to=read.day("filed_to"),
        limit=read.limit(),
        cursor=read.cursor(),
    )


#: DocumentQuery's fields as the endpoint's parameters name them.
DOCUMENT_PARAMETERS = {"text": "q", "date_from": "from", "date_to": "to"}


def document_query(args: MultiDict[str, str]) -> DocumentQuery:
    """``q``, ``court``, ``case_type``, ``from``, ``to``, ``limit`` and ``cursor``."""
    read = Arguments(args)
    return read.build(
        DocumentQuery,
        DOCUMENT_PARAMETERS,
        text=read.text("q"),
        court=read.code("court"),
        case_type=read.code("case_type"),
        date_from=read.day("from"),
        date_to=read.day("to"),
        limit=read.limit(),
        cursor=read.cursor(),
    )
