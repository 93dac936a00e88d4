"""What the read models hold, as the consumers hand it in and as the queries hand it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Generic, TypeVar

T = TypeVar("T")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place in search: give it a zone")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Party:
    name: str
    role: str
    name_zh: str | None = None
    representative: str | None = None
    """The legal representative on record (a firm's name), if any."""


@dataclass(frozen=True)
class DocketEntry:
    number: int
    title: str
    filed_on: date


@dataclass(frozen=True)
class CaseRecord:
    """A case's whole public-facing state at ``version`` (filing's ``aggregate_version``)."""

    case_id: str
    case_number: str
    prefix: str
    number: int
    year: int
    court: str
    case_type: str
    title: str
    status: str
    filed_at: datetime
    version: int
    sealed: bool = False
    parties: tuple[Party, ...] = ()
    docket: tuple[DocketEntry, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "filed_at", _utc(self.filed_at))
        object.__setattr__(self, "parties", tuple(self.parties))
        object.__setattr__(self, "docket", tuple(self.docket))


@dataclass(frozen=True)
class DocumentRecord:
    """A document's state at ``version``. Only a document open to public inspection carries text;
    ``public=False`` (or ``sealed=True``) withdraws it, and the store keeps no text of it."""

    document_id: str
    case_id: str
    case_number: str
    court: str
    case_type: str
    title: str
    kind: str
    dated: date
    """Issued on (court documents) or filed on (parties' documents)."""
    version: int
    public: bool = True
    sealed: bool = False
    text: str = ""

    @property
    def shown(self) -> bool:
        return self.public and not self.sealed


@dataclass(frozen=True)
class CaseSummary:
    """A cause-book line: what the public may see of a case."""

    case_id: str
    case_number: str
    court: str
    case_type: str
    title: str
    status: str
    filed_at: datetime
    parties: tuple[Party, ...] = ()
    docket: tuple[DocketEntry, ...] = ()


@dataclass(frozen=True)
class DocumentHit:
    document_id: str
    case_id: str
    case_number: str
    court: str
    case_type: str
    title: str
    kind: str
    dated: date
    snippet: str
    """HTML: the matched words in ``<mark>...</mark>``, everything else escaped."""
    phrase_match: bool
    case_number_match: bool
    score: float


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results; ``next_cursor`` fetches the next, None on the last."""

    items: list[T] = field(default_factory=list)
    next_cursor: str | None = None
