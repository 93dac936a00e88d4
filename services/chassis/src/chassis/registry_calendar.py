"""When the registry is open, and so when a filing or payment is deemed received.

The rule (DOMAIN.md section 5): a document or fee that arrives while the registry is closed is deemed
received at the next instant the registry is open. The registry is open inside its opening hours
(local time, Asia/Hong_Kong), except on general holidays and during closures the registry declares
(typhoon signal 8, black rainstorm, by direction). Everything here is pure: the caller brings the
opening hours (data), the holiday calendar and the declared closures. The Judiciary's opening hours
are data beside this module (``registry_hours.json``), read by ``judiciary_opening_hours``, so filing
deems a filing's time and payments a payment's by the same hours.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from itertools import pairwise
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from holidays.constants import OPTIONAL

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""The weekday keys of the opening-hours data, Monday first as in `date.weekday()`."""

SEARCH_HORIZON = timedelta(days=366)
"""How far ahead `deemed_receipt` looks for an opening before it gives up: a year covers every holiday."""

_CLOCK_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")


class NoOpeningFound(LookupError):
    """The registry does not open within `SEARCH_HORIZON` of the instant asked about.

    Only broken data gets here (opening hours without sessions, a closure declared for over a year):
    a real registry always reopens, so this is an error to surface, not a time to report.
    """


class Session(NamedTuple):
    """One stretch of opening on a day, local time, half-open: open at `start`, closed again at `end`."""

    start: time
    end: time


def _require_aware(at: datetime) -> None:
    # A naive datetime has no place on the time line; guessing its zone would move receipt times.
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone; instants must be timezone-aware")


@dataclass(frozen=True)
class OpeningHours:
    """The registry's normal opening hours: sessions per weekday (Monday=0 .. Sunday=6) in `zone`.

    A day without sessions is a day the registry never opens (Saturday and Sunday). Sessions are
    half-open, so a session 14:00-17:30 is open at 14:00 and closed at 17:30 exactly. Sessions of a
    day are kept sorted and may touch but not overlap. A session cannot run past midnight.
    """

    sessions: tuple[tuple[Session, ...], ...]
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if len(self.sessions) != len(DAY_NAMES):
            raise ValueError(f"opening hours need sessions for 7 weekdays, got {len(self.sessions)}")
        normalised = []
        for day_name, day_sessions in zip(DAY_NAMES, self.sessions, strict=True):
            ordered = tuple(sorted(Session(*session) for session in day_sessions))
            for session in ordered:
                if session.start.tzinfo is not None or session.end.tzinfo is not None:
                    raise ValueError(f"{day_name}: session times are local wall-clock times, without a zone")
                if session.end <= session.start:
                    raise ValueError(f"{day_name}: session {_label(session)} must end after it starts")
            for earlier, later in pairwise(ordered):
                if later.start < earlier.end:
                    raise ValueError(f"{day_name}: sessions {_label(earlier)} and {_label(later)} overlap")
            normalised.append(ordered)
        object.__setattr__(self, "sessions", tuple(normalised))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> OpeningHours:
        """Read opening hours from their data shape (as in filing's `registry_hours.json`).

        The shape: `{"timezone": "Asia/Hong_Kong", "sessions": {"monday": [["08:45", "13:00"],
        ["14:00", "17:30"]], ..., "sunday": []}}`: every weekday named once, times as "HH:MM".
        Raises ValueError naming what is wrong, so bad data fails at start-up rather than at a filing.
        """
        if not isinstance(data, Mapping):
            raise ValueError("opening hours must be an object with 'timezone' and 'sessions'")
        if unknown := sorted(set(data) - {"timezone", "sessions"}):
            raise ValueError(f"opening hours: unknown key(s) {', '.join(map(str, unknown))}")
        zone = _zone(data.get("timezone"))
        by_day = data.get("sessions")
        if not isinstance(by_day, Mapping):
            raise ValueError("opening hours: 'sessions' must be an object keyed by weekday name")
        if unknown := sorted(set(by_day) - set(DAY_NAMES)):
            raise ValueError(f"opening hours: unknown day name(s) {', '.join(map(str, unknown))}")
        if missing := [day for day in DAY_NAMES if day not in by_day]:
            raise ValueError(f"opening hours: missing day(s) {', '.join(missing)} (use [] for a closed day)")
        return cls(sessions=tuple(_day_sessions(day, by_day[day]) for day in DAY_NAMES), zone=zone)

    def sessions_on(self, day: date) -> tuple[Session, ...]:
        """The sessions of `day`'s weekday, earliest first (holidays are not this class's concern)."""
        return self.sessions[day.weekday()]


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError("opening hours: 'timezone' must be an IANA zone name such as 'Asia/Hong_Kong'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"opening hours: unknown time zone {name!r}") from exc


def _day_sessions(day: str, raw: object) -> tuple[Session, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValueError(f"{day}: sessions must be a list of [start, end] pairs")
    sessions = []
    for pair in raw:
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise ValueError(f"{day}: each session must be a [start, end] pair, got {pair!r}")
        sessions.append(Session(_clock_time(day, pair[0]), _clock_time(day, pair[1])))
    return tuple(sessions)


def _clock_time(day: str, raw: object) -> time:
    if not isinstance(raw, str) or not _CLOCK_TIME.fullmatch(raw):
        raise ValueError(f"{day}: {raw!r} is not a time of day as HH:MM (00:00 to 23:59)")
    return time.fromisoformat(raw)


def _label(session: Session) -> str:
    return f"{session.start:%H:%M}-{session.end:%H:%M}"


@dataclass(frozen=True)
class Closure:
    """A period the registry declared itself closed (typhoon signal 8, black rainstorm, by direction).

    Half-open [starts_at, ends_at): the registry reopens at `ends_at` if that falls inside opening
    hours, which is how "the registry may reopen the same afternoon" works. Instants are stored in UTC.
    """

    starts_at: datetime
    ends_at: datetime
    reason: str

    def __post_init__(self) -> None:
        _require_aware(self.starts_at)
        _require_aware(self.ends_at)
        if self.ends_at <= self.starts_at:
            raise ValueError(f"closure must end after it starts ({self.starts_at} .. {self.ends_at})")
        object.__setattr__(self, "starts_at", self.starts_at.astimezone(UTC))
        object.__setattr__(self, "ends_at", self.ends_at.astimezone(UTC))

    def covers(self, at: datetime) -> bool:
        """Whether the registry is closed by this closure at `at`."""
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True)
class RegistryCalendar:
    """The registry's opening hours, holidays and declared closures, answering "is it open?".

    `holiday(day)` names the general holiday on a local date, or returns None on an ordinary day.
    Closures may overlap one another and span days; they are merged once here so that
    `deemed_receipt` steps over a run of closures in one jump.
    """

    hours: OpeningHours
    holiday: Callable[[date], str | None]
    closures: Sequence[Closure] = ()
    _closed_starts: tuple[datetime, ...] = field(init=False, repr=False, compare=False)
    _closed_ends: tuple[datetime, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.closures, key=lambda closure: (closure.starts_at, closure.ends_at)))
        object.__setattr__(self, "closures", ordered)
        starts: list[datetime] = []
        ends: list[datetime] = []
        for closure in ordered:
            # Closures that overlap or touch make one closed stretch: [a, b) then [b, c) leaves no open instant.
            if ends and closure.starts_at <= ends[-1]:
                ends[-1] = max(ends[-1], closure.ends_at)
            else:
                starts.append(closure.starts_at)
                ends.append(closure.ends_at)
        object.__setattr__(self, "_closed_starts", tuple(starts))
        object.__setattr__(self, "_closed_ends", tuple(ends))

    def is_open(self, at: datetime) -> bool:
        """Whether the registry is open at the instant `at` (timezone-aware; naive raises ValueError)."""
        return self.why_closed(at) is None

    def why_closed(self, at: datetime) -> str | None:
        """Why the registry is closed at `at`, or None when it is open.

        The most specific reason wins: a declared closure ("closure: typhoon_signal_8"), then the
        holiday's name ("Christmas Day"), then the weekday of a day without sessions ("Saturday"),
        then "outside opening hours" (early morning, lunch, evening).
        """
        _require_aware(at)
        for closure in self.closures:
            if closure.starts_at > at:
                break
            if closure.covers(at):
                return f"closure: {closure.reason}"
        local = at.astimezone(self.hours.zone)
        if name := self.holiday(local.date()):
            return name
        sessions = self.hours.sessions_on(local.date())
        if not sessions:
            return DAY_NAMES[local.weekday()].capitalize()
        wall_clock = local.time()
        if any(session.start <= wall_clock < session.end for session in sessions):
            return None
        return "outside opening hours"

    def deemed_receipt(self, at: datetime) -> datetime:
        """The instant something that arrives at `at` is deemed received: the first instant >= `at` the
        registry is open (DOMAIN.md section 5, "the next instant the registry is open").

        Returns `at` itself (in UTC) when the registry is open then. Otherwise it steps session by
        session and day by day, jumping over each run of closures whole. Raises ValueError for a
        naive `at`, and NoOpeningFound when nothing opens within `SEARCH_HORIZON`.
        """
        _require_aware(at)
        cursor = at.astimezone(UTC)
        give_up_after = cursor + SEARCH_HORIZON
        while True:
            candidate = self._next_session_instant(cursor, give_up_after)
            reopens_at = self._closed_until(candidate)
            if reopens_at is None:
                return candidate
            cursor = reopens_at

    def _next_session_instant(self, cursor: datetime, give_up_after: datetime) -> datetime:
        # The first instant >= cursor inside a session on a non-holiday; closures are the caller's part.
        # Hong Kong keeps no summer time, so each local session time names exactly one instant.
        zone = self.hours.zone
        day = cursor.astimezone(zone).date()
        last_day = give_up_after.astimezone(zone).date()
        while day <= last_day:
            sessions = self.hours.sessions_on(day)
            if sessions and not self.holiday(day):
                for session in sessions:
                    ends = datetime.combine(day, session.end, zone).astimezone(UTC)
                    if ends <= cursor:
                        continue
                    opens = max(datetime.combine(day, session.start, zone).astimezone(UTC), cursor)
                    if opens > give_up_after:
                        break
                    return opens
            day += timedelta(days=1)
        raise NoOpeningFound(
            f"the registry does not open between {cursor.isoformat()} and {give_up_after.isoformat()}; "
            "check the opening hours and the declared closures"
        )

    def _closed_until(self, at: datetime) -> datetime | None:
        # The end of the merged closed stretch covering `at`, if any.
        index = bisect_right(self._closed_starts, at) - 1
        if index >= 0 and at < self._closed_ends[index]:
            return self._closed_ends[index]
        return None


@cache
def hong_kong_general_holidays() -> Callable[[date], str | None]:
    """The Hong Kong general holidays (Cap. 149), the days the registry is closed, as `holiday(day)`.

    From the `holidays` package: its HongKong calendar files the general holidays (the gov.hk list)
    under the OPTIONAL category; its PUBLIC category is the statutory holidays of the Employment
    Ordinance, which miss days such as Good Friday. Sundays are not reported merely for being
    Sundays (the opening hours close them anyway). Names are in English; each year is computed once,
    on first need, and kept, by the one calendar every caller shares.
    """

    @cache
    def of_year(year: int) -> Mapping[date, str]:
        calendar = holidays.country_holidays("HK", years=year, categories=(OPTIONAL,), language="en_HK")
        return MappingProxyType(dict(calendar))

    def holiday(day: date) -> str | None:
        return of_year(day.year).get(day)

    return holiday


def judiciary_opening_hours() -> OpeningHours:
    """The registry's opening hours, from the data shipped with this module."""
    raw = json.loads(resources.files("chassis").joinpath("registry_hours.json").read_text("utf-8"))
    return OpeningHours.from_mapping(raw)
