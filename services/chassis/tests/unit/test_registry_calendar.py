from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chassis.registry_calendar import (
    DAY_NAMES,
    Closure,
    NoOpeningFound,
    OpeningHours,
    RegistryCalendar,
    Session,
    hong_kong_general_holidays,
    judiciary_opening_hours,
)

HK = ZoneInfo("Asia/Hong_Kong")
WEEKDAY = [["08:45", "13:00"], ["14:00", "17:30"]]
HOURS_DATA: dict[str, Any] = {
    "timezone": "Asia/Hong_Kong",
    "sessions": {day: [] if day in ("saturday", "sunday") else WEEKDAY for day in DAY_NAMES},
}
HOURS = OpeningHours.from_mapping(HOURS_DATA)
HK_HOLIDAYS = hong_kong_general_holidays()


def hk(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=HK)


def calendar(*closures: Closure) -> RegistryCalendar:
    return RegistryCalendar(HOURS, HK_HOLIDAYS, closures)


def typhoon(starts_at: datetime, ends_at: datetime) -> Closure:
    return Closure(starts_at, ends_at, "typhoon_signal_8")


# Examples: 2026-03-09 is a Monday; 2026-12-25 is a Friday.


def test_filing_after_1730_on_friday_is_received_at_0845_on_monday() -> None:
    assert calendar().deemed_receipt(hk(2026, 3, 13, 17, 31)) == hk(2026, 3, 16, 8, 45)


def test_filing_in_the_lunch_hour_is_received_at_1400() -> None:
    assert calendar().deemed_receipt(hk(2026, 3, 10, 13, 30)) == hk(2026, 3, 10, 14, 0)


def test_filing_on_christmas_day_is_received_at_0845_on_the_next_working_day() -> None:
    # 26 December 2026 (Saturday) is the first weekday after Christmas; Sunday follows.
    assert calendar().deemed_receipt(hk(2026, 12, 25, 10, 0)) == hk(2026, 12, 28, 8, 45)


def test_filing_before_easter_waits_out_the_general_holidays_not_only_the_statutory_ones() -> None:
    # Good Friday, the day after, and the days following Ching Ming and Easter Monday 2026.
    assert calendar().deemed_receipt(hk(2026, 4, 2, 18, 0)) == hk(2026, 4, 8, 8, 45)


def test_filing_inside_a_typhoon_closure_is_received_when_the_registry_reopens() -> None:
    closure = typhoon(hk(2026, 3, 11, 9, 0), hk(2026, 3, 11, 15, 10))
    assert calendar(closure).deemed_receipt(hk(2026, 3, 11, 10, 0)) == hk(2026, 3, 11, 15, 10)


def test_closure_ending_in_the_lunch_hour_reopens_at_1400() -> None:
    closure = typhoon(hk(2026, 3, 11, 10, 0), hk(2026, 3, 11, 13, 30))
    assert calendar(closure).deemed_receipt(hk(2026, 3, 11, 11, 0)) == hk(2026, 3, 11, 14, 0)


def test_closure_spanning_lunch_and_evening_reopens_next_morning() -> None:
    closure = typhoon(hk(2026, 3, 12, 12, 0), hk(2026, 3, 12, 18, 0))
    assert calendar(closure).deemed_receipt(hk(2026, 3, 12, 12, 30)) == hk(2026, 3, 13, 8, 45)


def test_closure_running_overnight_reopens_when_it_ends_the_next_day() -> None:
    closure = typhoon(hk(2026, 3, 12, 15, 0), hk(2026, 3, 13, 10, 0))
    assert calendar(closure).deemed_receipt(hk(2026, 3, 12, 16, 0)) == hk(2026, 3, 13, 10, 0)


def test_overlapping_and_touching_closures_are_stepped_over_together() -> None:
    closures = (
        Closure(hk(2026, 3, 11, 10, 30), hk(2026, 3, 11, 12, 0), "black_rainstorm"),
        typhoon(hk(2026, 3, 11, 9, 0), hk(2026, 3, 11, 11, 0)),
        Closure(hk(2026, 3, 11, 12, 0), hk(2026, 3, 11, 14, 30), "direction"),
    )
    assert calendar(*closures).deemed_receipt(hk(2026, 3, 11, 9, 30)) == hk(2026, 3, 11, 14, 30)


def test_closure_over_a_weekend_into_monday_reopens_when_it_ends() -> None:
    closure = typhoon(hk(2026, 3, 13, 16, 0), hk(2026, 3, 16, 11, 15))
    assert calendar(closure).deemed_receipt(hk(2026, 3, 13, 16, 30)) == hk(2026, 3, 16, 11, 15)


def test_a_month_of_back_to_back_closures_is_crossed() -> None:
    start = hk(2026, 6, 1, 0, 0)
    closures = [typhoon(start + timedelta(hours=6 * i), start + timedelta(hours=6 * (i + 1))) for i in range(120)]
    assert calendar(*closures).deemed_receipt(start) == hk(2026, 7, 2, 8, 45)


def test_filing_at_0845_exactly_is_received_then() -> None:
    at = hk(2026, 3, 10, 8, 45)
    assert calendar().deemed_receipt(at) == at


def test_filing_at_1730_exactly_is_after_closing_and_received_next_morning() -> None:
    assert calendar().deemed_receipt(hk(2026, 3, 10, 17, 30)) == hk(2026, 3, 11, 8, 45)


def test_filing_at_1300_exactly_waits_for_the_afternoon_session() -> None:
    assert calendar().deemed_receipt(hk(2026, 3, 10, 13, 0)) == hk(2026, 3, 10, 14, 0)


def test_filing_a_microsecond_before_opening_is_received_at_opening() -> None:
    assert calendar().deemed_receipt(hk(2026, 3, 10, 8, 44, 59, 999_999)) == hk(2026, 3, 10, 8, 45)


def test_deemed_receipt_is_in_utc_whatever_zone_the_instant_came_in() -> None:
    received = calendar().deemed_receipt(datetime(2026, 3, 10, 12, 0, tzinfo=timezone(timedelta(hours=-5))))
    assert received == hk(2026, 3, 11, 8, 45)
    assert received.tzinfo is UTC


def test_why_closed_names_the_reason() -> None:
    cal = calendar(typhoon(hk(2026, 3, 11, 9, 0), hk(2026, 3, 11, 15, 10)))
    assert cal.why_closed(hk(2026, 3, 14, 10, 0)) == "Saturday"
    assert cal.why_closed(hk(2026, 3, 15, 10, 0)) == "Sunday"
    assert cal.why_closed(hk(2026, 12, 25, 10, 0)) == "Christmas Day"
    assert cal.why_closed(hk(2026, 3, 11, 10, 0)) == "closure: typhoon_signal_8"
    assert cal.why_closed(hk(2026, 3, 10, 13, 15)) == "outside opening hours"
    assert cal.why_closed(hk(2026, 3, 10, 7, 0)) == "outside opening hours"
    assert cal.why_closed(hk(2026, 3, 10, 10, 0)) is None
    assert cal.is_open(hk(2026, 3, 10, 10, 0))
    assert not cal.is_open(hk(2026, 3, 11, 10, 0))


@pytest.mark.parametrize("method", ["is_open", "why_closed", "deemed_receipt"])
def test_a_naive_datetime_is_refused(method: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        getattr(calendar(), method)(datetime(2026, 3, 10, 10, 0))


def test_a_registry_that_never_opens_is_an_error_not_an_answer() -> None:
    never = OpeningHours.from_mapping({"timezone": "Asia/Hong_Kong", "sessions": {day: [] for day in DAY_NAMES}})
    with pytest.raises(NoOpeningFound, match="does not open"):
        RegistryCalendar(never, HK_HOLIDAYS).deemed_receipt(hk(2026, 3, 10, 10, 0))


def test_a_closure_longer_than_a_year_is_an_error_not_an_answer() -> None:
    closure = typhoon(hk(2026, 1, 1), hk(2027, 6, 1))
    with pytest.raises(NoOpeningFound):
        calendar(closure).deemed_receipt(hk(2026, 3, 10, 10, 0))


def test_a_closure_must_be_aware_and_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Closure(datetime(2026, 3, 10, 9, 0), hk(2026, 3, 10, 10, 0), "other")
    with pytest.raises(ValueError, match="end after"):
        typhoon(hk(2026, 3, 10, 10, 0), hk(2026, 3, 10, 10, 0))


def test_a_closure_is_held_in_utc() -> None:
    closure = typhoon(hk(2026, 3, 10, 9, 0), hk(2026, 3, 10, 10, 0))
    assert closure.starts_at == datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
    assert closure.starts_at.tzinfo is UTC


# The holiday calendar.


def test_general_holidays_are_named_in_english() -> None:
    assert HK_HOLIDAYS(date(2026, 12, 25)) == "Christmas Day"
    assert HK_HOLIDAYS(date(2026, 12, 28)) is None


def test_good_friday_is_a_general_holiday_before_it_becomes_statutory() -> None:
    assert HK_HOLIDAYS(date(2025, 4, 18)) == "Good Friday"


def test_sundays_are_not_holidays_merely_for_being_sundays() -> None:
    day = date(2024, 1, 7)
    while day.year <= 2028:
        assert HK_HOLIDAYS(day) is None, day
        day += timedelta(days=7)


# The opening hours as data.


def test_sessions_are_kept_in_order_and_may_touch() -> None:
    data = {**HOURS_DATA, "sessions": {**HOURS_DATA["sessions"], "monday": [["13:00", "17:30"], ["08:45", "13:00"]]}}
    assert OpeningHours.from_mapping(data).sessions[0] == (
        Session(time(8, 45), time(13, 0)),
        Session(time(13, 0), time(17, 30)),
    )


def with_monday(sessions: object) -> dict[str, Any]:
    return {**HOURS_DATA, "sessions": {**HOURS_DATA["sessions"], "monday": sessions}}


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (with_monday([["08:45", "13:00"], ["12:00", "17:30"]]), "monday: sessions 08:45-13:00 and 12:00-17:30 overlap"),
        (with_monday([["13:00", "08:45"]]), "must end after it starts"),
        (with_monday([["09:00", "09:00"]]), "must end after it starts"),
        (with_monday([["8:45", "13:00"]]), "not a time of day as HH:MM"),
        (with_monday([["08:45", "24:00"]]), "not a time of day"),
        (with_monday([["08:60", "13:00"]]), "not a time of day"),
        (with_monday([["08:45:00", "13:00"]]), "not a time of day"),
        (with_monday([[845, 1300]]), "not a time of day"),
        (with_monday([["08:45", "13:00", "14:00"]]), "pair"),
        (with_monday("08:45-13:00"), "list of \\[start, end\\] pairs"),
        ({**HOURS_DATA, "sessions": {**HOURS_DATA["sessions"], "funday": []}}, "unknown day name\\(s\\) funday"),
        (
            {**HOURS_DATA, "sessions": {k: v for k, v in HOURS_DATA["sessions"].items() if k != "sunday"}},
            "missing day\\(s\\) sunday",
        ),
        ({**HOURS_DATA, "sessions": []}, "'sessions' must be an object"),
        ({**HOURS_DATA, "timezone": "Asia/Atlantis"}, "unknown time zone"),
        ({**HOURS_DATA, "timezone": None}, "IANA zone name"),
        ({**HOURS_DATA, "opens": "sometimes"}, "unknown key\\(s\\) opens"),
        ([], "must be an object"),
    ],
)
def test_bad_opening_hours_data_is_refused_with_a_clear_message(data: Any, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        OpeningHours.from_mapping(data)


def test_opening_hours_need_all_seven_days() -> None:
    with pytest.raises(ValueError, match="7 weekdays"):
        OpeningHours(sessions=((),) * 6, zone=HK)


# Properties, over instants from 2024 to 2028 and closures declared around them.

SESSION_EDGES = sorted({t for session in WEEKDAY for t in session})


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """Any instant, often exactly on (or a microsecond either side of) an opening or closing time."""
    if draw(st.booleans()):
        return draw(st.datetimes(datetime(2024, 1, 1), datetime(2028, 12, 31, 23, 59, 59), timezones=st.just(UTC)))
    day = draw(st.dates(date(2024, 1, 1), date(2028, 12, 31)))
    edge = datetime.combine(day, time.fromisoformat(draw(st.sampled_from(SESSION_EDGES))), HK)
    return (edge + timedelta(microseconds=draw(st.sampled_from([-1, 0, 1])))).astimezone(UTC)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[datetime, tuple[Closure, ...]]:
    """An instant and a few closures near it, which may overlap, touch, and span days."""
    at = draw(instants())
    closures = []
    for _ in range(draw(st.integers(0, 6))):
        starts_at = at + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 10 * 24 * 60)))
        length = timedelta(minutes=draw(st.integers(1, 5 * 24 * 60)))
        reason = draw(st.sampled_from(["typhoon_signal_8", "black_rainstorm", "direction", "other"]))
        closures.append(Closure(starts_at, starts_at + length, reason))
    return at, tuple(closures)


PROPERTY = settings(max_examples=150, deadline=None)


def open_by_definition(at: datetime, closures: tuple[Closure, ...]) -> bool:
    """DOMAIN.md section 5 read literally, independently of the calendar's own bookkeeping."""
    local = at.astimezone(HK)
    in_session = any(
        time.fromisoformat(start) <= local.time() < time.fromisoformat(end)
        for start, end in HOURS_DATA["sessions"][DAY_NAMES[local.weekday()]]
    )
    closed = HK_HOLIDAYS(local.date()) is not None or any(c.starts_at <= at < c.ends_at for c in closures)
    return in_session and not closed


def instants_where_opening_can_begin(
    at: datetime, until: datetime, closures: tuple[Closure, ...]
) -> Iterator[datetime]:
    """Every instant in [at, until) where the registry could go from closed to open: `at` itself, a session
    start, the end of a closure. If none of them is open, nothing in [at, until) is."""
    if at < until:
        yield at
    day = at.astimezone(HK).date()
    while day <= until.astimezone(HK).date():
        for session in HOURS.sessions_on(day):
            opens = datetime.combine(day, session.start, HK)
            if at <= opens < until:
                yield opens
        day += timedelta(days=1)
    yield from (c.ends_at for c in closures if at <= c.ends_at < until)


@PROPERTY
@given(scenarios())
def test_deemed_receipt_is_never_before_the_filing(scenario: tuple[datetime, tuple[Closure, ...]]) -> None:
    at, closures = scenario
    assert calendar(*closures).deemed_receipt(at) >= at


@PROPERTY
@given(scenarios())
def test_deemed_receipt_is_inside_opening_hours_off_holidays_and_outside_closures(
    scenario: tuple[datetime, tuple[Closure, ...]],
) -> None:
    at, closures = scenario
    cal = calendar(*closures)
    received = cal.deemed_receipt(at)
    local = received.astimezone(HK)
    assert received.tzinfo is UTC
    assert cal.is_open(received)
    assert any(s.start <= local.time() < s.end for s in HOURS.sessions_on(local.date()))
    assert HK_HOLIDAYS(local.date()) is None
    assert not any(c.covers(received) for c in closures)


@PROPERTY
@given(scenarios())
def test_deemed_receipt_is_the_filing_time_exactly_when_the_registry_is_open(
    scenario: tuple[datetime, tuple[Closure, ...]],
) -> None:
    at, closures = scenario
    cal = calendar(*closures)
    assert (cal.deemed_receipt(at) == at) == cal.is_open(at)


@PROPERTY
@given(scenarios())
def test_the_registry_is_closed_from_the_filing_until_the_deemed_receipt(
    scenario: tuple[datetime, tuple[Closure, ...]],
) -> None:
    at, closures = scenario
    cal = calendar(*closures)
    received = cal.deemed_receipt(at)
    just_before = received - timedelta(seconds=1)
    assert just_before < at or not cal.is_open(just_before)
    assert not any(cal.is_open(t) for t in instants_where_opening_can_begin(at, received, closures))


@PROPERTY
@given(scenarios())
def test_is_open_follows_the_rule_as_written(scenario: tuple[datetime, tuple[Closure, ...]]) -> None:
    at, closures = scenario
    cal = calendar(*closures)
    assert cal.is_open(at) == open_by_definition(at, closures)
    assert (cal.why_closed(at) is None) == cal.is_open(at)


@PROPERTY
@given(scenarios(), st.integers(0, 7 * 24 * 3600))
def test_a_later_filing_is_never_deemed_received_earlier(
    scenario: tuple[datetime, tuple[Closure, ...]], seconds_later: int
) -> None:
    at, closures = scenario
    cal = calendar(*closures)
    assert cal.deemed_receipt(at) <= cal.deemed_receipt(at + timedelta(seconds=seconds_later))


def test_the_judiciary_registry_is_open_weekdays_0845_to_1300_and_1400_to_1730_closed_at_weekends() -> None:
    hours = judiciary_opening_hours()
    weekday = (Session(time(8, 45), time(13, 0)), Session(time(14, 0), time(17, 30)))
    assert hours.zone == ZoneInfo("Asia/Hong_Kong")
    assert hours.sessions == (weekday, weekday, weekday, weekday, weekday, (), ())
    assert hours.sessions_on(date(2026, 11, 21)) == () == hours.sessions_on(date(2026, 11, 22))  # Sat, Sun
