"""The courts' fee schedules and what a list of fee items costs: pure rules over ``data/fee_schedules.json``.

An instant is priced by the Hong Kong date it falls on, both for which version of an item is in force
and for whether the court's electronic concession window is open (DOMAIN.md section 8). Inside the
window an electronically filed item marked ``concession`` costs the window's rate of its paper fee,
rounded down to the whole dollar; everything else costs the paper fee.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from chassis.clock import iso

HONG_KONG = ZoneInfo("Asia/Hong_Kong")
ELECTRONIC = "electronic"
PAPER = "paper"
CHANNELS = (ELECTRONIC, PAPER)
MAX_QUANTITY = 1000
CURRENCY = "HKD"
SOURCES = ("src", "ours")
#: Filing's court codes to the schedule each pays by: the High Court's rules cover all its levels.
SCHEDULE_COURT = {"CFA": "HC", "CA": "HC", "CFI": "HC", "DC": "DC", "MC": "MC", "SCT": "SCT"}


# Errors -----------------------------------------------------------------------------------------------


class FeeError(ValueError):
    """A fee that cannot be quoted. ``field`` is the dotted path of the request field at fault,
    ``kind`` the stable name of what is wrong (a problem type)."""

    kind = "fee-not-quotable"
    title = "Fee cannot be quoted"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class UnknownCourt(FeeError):
    kind = "unknown-court"
    title = "Unknown court"

    def __init__(self, court: str) -> None:
        super().__init__("court", "is not a court with a fee schedule: DC, HC, MC or SCT (CFA, CA and CFI pay by HC's)")
        self.court = court


class UnknownItem(FeeError):
    kind = "unknown-fee-item"
    title = "Unknown fee item"

    def __init__(self, code: str, index: int | None = None, court: str | None = None) -> None:
        where = f"the {court} fee schedule" if court else "any fee schedule"
        super().__init__(_item_field(index), f"{code} is not an item of {where}")
        self.code = code
        self.index = index


class NotInForce(FeeError):
    kind = "fee-not-in-force"
    title = "Fee item not in force"

    def __init__(self, code: str, at: datetime, index: int | None = None) -> None:
        super().__init__(_item_field(index), f"{code} is not in force on {hong_kong_day(at).isoformat()}")
        self.code = code
        self.at = at
        self.index = index


class VariableAmount(FeeError):
    kind = "variable-amount"
    title = "Amount set by an order"

    def __init__(self, code: str, index: int | None = None) -> None:
        super().__init__(
            _item_field(index), f"{code} is paid at the amount of the order that imposes it and cannot be quoted"
        )
        self.code = code
        self.index = index


class BadQuantity(FeeError):
    kind = "invalid-quantity"
    title = "Invalid quantity"

    def __init__(self, index: int) -> None:
        super().__init__(f"items.{index}.quantity", f"must be a whole number from 1 to {MAX_QUANTITY}")
        self.index = index


def _item_field(index: int | None) -> str:
    return "code" if index is None else f"items.{index}.code"


# The schedule -------------------------------------------------------------------------------------------


def hong_kong_day(at: datetime) -> date:
    """The Hong Kong date of an aware instant: the day that prices it."""
    if at.tzinfo is None:
        raise ValueError("a fee is priced at an instant with its time zone")
    return at.astimezone(HONG_KONG).date()


def electronic_cents(paper_cents: int, rate_percent: int) -> int:
    """The e-fee: ``rate_percent`` of the paper fee, rounded down to the whole dollar (HK$18 -> HK$14)."""
    return (paper_cents * rate_percent // 100) // 100 * 100


def schedule_court(court: str) -> str:
    """The schedule ``court`` pays by: filing's court codes map to one; a schedule's own code is itself."""
    if court in SCHEDULE_COURT:
        return SCHEDULE_COURT[court]
    if court in SCHEDULE_COURT.values():
        return court
    raise UnknownCourt(court)


@dataclass(frozen=True)
class ConcessionWindow:
    """The court's electronic fee concession period, Hong Kong dates ``[starts, ends)``."""

    starts: date
    ends: date
    rate_percent: int
    source: str

    def covers(self, day: date) -> bool:
        return self.starts <= day < self.ends

    def as_json(self, day: date) -> dict[str, Any]:
        return {
            "from": self.starts.isoformat(),
            "until": self.ends.isoformat(),
            "rate_percent": self.rate_percent,
            "source": self.source,
            "open": self.covers(day),
        }


@dataclass(frozen=True)
class Version:
    """An item's fee over a period of Hong Kong dates ``[effective_from, effective_until)``."""

    effective_from: date
    effective_until: date | None
    paper_cents: int | None
    concession: bool
    source: str

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_until is None or day < self.effective_until)


@dataclass(frozen=True)
class Item:
    """A fee item and its versions, oldest first, never overlapping."""

    code: str
    description_en: str
    description_zh: str
    variable_amount: bool
    versions: tuple[Version, ...]

    def version_on(self, day: date) -> Version | None:
        return next((v for v in self.versions if v.covers(day)), None)


@dataclass(frozen=True)
class ItemInForce:
    """An item as it stands on one day."""

    code: str
    court: str
    description_en: str
    description_zh: str
    variable_amount: bool
    paper_cents: int | None
    concession: bool
    source: str
    effective_from: date
    effective_until: date | None


@dataclass(frozen=True)
class CourtSchedule:
    """One court's schedule: its items (in the data's order) and its concession window, if any."""

    code: str
    name: str
    name_zh: str
    rule: str
    concession: ConcessionWindow | None
    items: Mapping[str, Item]

    def window_open(self, day: date) -> ConcessionWindow | None:
        """The concession window if it is open on ``day``."""
        return self.concession if self.concession is not None and self.concession.covers(day) else None


@dataclass(frozen=True)
class QuoteLine:
    """One item of a quote. ``unit_cents`` is what is charged; ``paper_unit_cents`` what paper would cost."""

    code: str
    description: str
    description_zh: str
    quantity: int
    unit_cents: int
    amount_cents: int
    paper_unit_cents: int
    concession_applied: bool
    source: str

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "description_zh": self.description_zh,
            "quantity": self.quantity,
            "unit_cents": self.unit_cents,
            "amount_cents": self.amount_cents,
            "paper_unit_cents": self.paper_unit_cents,
            "concession_applied": self.concession_applied,
            "source": self.source,
        }


@dataclass(frozen=True)
class Quote:
    """What a list of items costs in a court, through a channel, at an instant."""

    court: str
    channel: str
    at: datetime
    lines: tuple[QuoteLine, ...]
    total_cents: int


@dataclass(frozen=True)
class FeeSchedule:
    """Every court's schedule, keyed by schedule court (DC, HC, MC, SCT)."""

    notice: str
    schedules: Mapping[str, CourtSchedule]

    def courts(self) -> tuple[str, ...]:
        """The schedule courts, in the data's order."""
        return tuple(self.schedules)

    def court(self, court: str) -> CourtSchedule:
        """The schedule ``court`` pays by (filing's court codes accepted); UnknownCourt otherwise."""
        return self.schedules[schedule_court(court)]

    def item(self, code: str, at: datetime) -> ItemInForce:
        """The item ``code`` as it stands at ``at``: UnknownItem, or NotInForce if no version covers the day."""
        court = self.schedules.get(code.split(".", 1)[0])
        item = court.items.get(code) if court else None
        if court is None or item is None:
            raise UnknownItem(code)
        version = item.version_on(hong_kong_day(at))
        if version is None:
            raise NotInForce(code, at)
        return ItemInForce(
            code=item.code,
            court=court.code,
            description_en=item.description_en,
            description_zh=item.description_zh,
            variable_amount=item.variable_amount,
            paper_cents=version.paper_cents,
            concession=version.concession,
            source=version.source,
            effective_from=version.effective_from,
            effective_until=version.effective_until,
        )

    def quote(self, court: str, items: Sequence[tuple[str, int]], channel: str, at: datetime) -> Quote:
        """The price of ``items`` ((code, quantity) pairs) filed in ``court`` through ``channel`` at ``at``.

        Each pair is its own line, in the order given, even when a code repeats. The first item that
        cannot be priced raises its FeeError, naming the item by its index.
        """
        schedule = self.court(court)
        if channel not in CHANNELS:
            raise FeeError("channel", f"must be one of {', '.join(CHANNELS)}")
        if not items:
            raise FeeError("items", "name at least one fee item")
        day = hong_kong_day(at)
        window = schedule.window_open(day) if channel == ELECTRONIC else None
        lines = []
        for index, (code, quantity) in enumerate(items):
            item = schedule.items.get(code)
            if item is None:
                raise UnknownItem(code, index, schedule.code)
            version = item.version_on(day)
            if version is None:
                raise NotInForce(code, at, index)
            if item.variable_amount:
                raise VariableAmount(code, index)
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
                raise BadQuantity(index)
            lines.append(_line(item, version, quantity, window if version.concession else None))
        return Quote(schedule.code, channel, at, tuple(lines), sum(line.amount_cents for line in lines))

    def quote_as_json(self, quote: Quote) -> dict[str, Any]:
        """A quote as ``POST /fee-quotes`` answers it, with the court's names and concession window."""
        schedule = self.schedules[quote.court]
        return {
            "court": quote.court,
            "court_name": schedule.name,
            "court_name_zh": schedule.name_zh,
            "channel": quote.channel,
            "at": iso(quote.at),
            "concession_window": schedule.concession.as_json(hong_kong_day(quote.at)) if schedule.concession else None,
            "lines": [line.as_json() for line in quote.lines],
            "total_cents": quote.total_cents,
            "currency": CURRENCY,
        }

    def court_as_json(self, court: str, at: datetime) -> dict[str, Any]:
        """One court's schedule as it stands at ``at``: the items in force, each with its paper and e-fee."""
        return {"at": iso(at), "currency": CURRENCY, **_court_json(self.court(court), hong_kong_day(at))}

    def as_json(self, at: datetime) -> dict[str, Any]:
        """Every court's schedule as it stands at ``at``."""
        day = hong_kong_day(at)
        return {
            "at": iso(at),
            "currency": CURRENCY,
            "notice": self.notice,
            "courts": [_court_json(schedule, day) for schedule in self.schedules.values()],
        }


def _court_json(schedule: CourtSchedule, day: date) -> dict[str, Any]:
    window = schedule.window_open(day)
    return {
        "court": schedule.code,
        "name": schedule.name,
        "name_zh": schedule.name_zh,
        "rule": schedule.rule,
        "concession_window": schedule.concession.as_json(day) if schedule.concession else None,
        "items": [
            _item_json(item, version, window)
            for item in schedule.items.values()
            if (version := item.version_on(day)) is not None
        ],
    }


def _line(item: Item, version: Version, quantity: int, window: ConcessionWindow | None) -> QuoteLine:
    paper = version.paper_cents
    assert paper is not None
    description, description_zh = item.description_en, item.description_zh
    unit = paper
    if window is not None:
        unit = electronic_cents(paper, window.rate_percent)
        description += f" (electronic filing, {window.rate_percent}% of the paper fee)"
        description_zh += f" (電子方式辦理, 按紙張形式費用的{window.rate_percent}%收取)"
    return QuoteLine(
        code=item.code,
        description=description,
        description_zh=description_zh,
        quantity=quantity,
        unit_cents=unit,
        amount_cents=unit * quantity,
        paper_unit_cents=paper,
        concession_applied=window is not None,
        source=version.source,
    )


def _item_json(item: Item, version: Version, window: ConcessionWindow | None) -> dict[str, Any]:
    paper = version.paper_cents
    electronic = paper
    if paper is not None and window is not None and version.concession:
        electronic = electronic_cents(paper, window.rate_percent)
    return {
        "code": item.code,
        "description": item.description_en,
        "description_zh": item.description_zh,
        "paper_cents": paper,
        "electronic_cents": electronic,
        "concession": version.concession,
        "variable_amount": item.variable_amount,
        "effective_from": version.effective_from.isoformat(),
        "effective_until": version.effective_until.isoformat() if version.effective_until else None,
        "source": version.source,
    }


# Loading ------------------------------------------------------------------------------------------------


class ScheduleDataError(ValueError):
    """The schedule data breaks a rule; the process must not start with it."""


def load_schedule(raw: Mapping[str, Any]) -> FeeSchedule:
    """The schedule from its JSON form (``data/fee_schedules.json``), checked whole before use."""
    try:
        concessions = raw["concessions"]
        schedules = {court: _court(court, body, concessions.get(court)) for court, body in raw["schedules"].items()}
        notice = raw["notice"]
    except ScheduleDataError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ScheduleDataError(f"fee schedule: malformed ({type(exc).__name__}: {exc})") from None
    missing = sorted(set(SCHEDULE_COURT.values()) - set(schedules))
    if missing:
        raise ScheduleDataError(f"fee schedule: no schedule for {', '.join(missing)}")
    stray = sorted(set(concessions) - set(schedules))
    if stray:
        raise ScheduleDataError(f"fee schedule: a concession window for {', '.join(stray)}, which has no schedule")
    return FeeSchedule(notice=notice, schedules=schedules)


def _court(court: str, body: Mapping[str, Any], window: Mapping[str, Any] | None) -> CourtSchedule:
    concession = None
    if window is not None:
        concession = ConcessionWindow(
            starts=date.fromisoformat(window["from"]),
            ends=date.fromisoformat(window["until"]),
            rate_percent=window["rate_percent"],
            source=window["source"],
        )
        _check(concession.starts < concession.ends, court, "the concession window ends before it starts")
        _check(_whole(concession.rate_percent) and 0 < concession.rate_percent <= 100, court, "bad rate_percent")
        _check(concession.source in SOURCES, court, "the concession window's source is not src or ours")
    items: dict[str, Item] = {}
    for raw_item in body["items"]:
        item = _item(raw_item)
        _check(item.code.startswith(f"{court}.") and item.code.count(".") == 1, item.code, f"not a {court} code")
        _check(item.code not in items, item.code, "appears twice")
        items[item.code] = item
    return CourtSchedule(
        code=court, name=body["name"], name_zh=body["name_zh"], rule=body["rule"], concession=concession, items=items
    )


def _item(raw: Mapping[str, Any]) -> Item:
    code = raw["code"]
    variable = raw.get("variable_amount", False)
    versions = tuple(
        Version(
            effective_from=date.fromisoformat(v["effective_from"]),
            effective_until=date.fromisoformat(v["effective_until"]) if v["effective_until"] else None,
            paper_cents=v.get("paper_cents"),
            concession=v["concession"],
            source=v["source"],
        )
        for v in raw["versions"]
    )
    _check(bool(versions), code, "has no version")
    _check(bool(raw["description_en"]) and bool(raw["description_zh"]), code, "needs English and Chinese descriptions")
    for version, following in zip(versions, (*versions[1:], None), strict=True):
        when = f"{code} from {version.effective_from}"
        _check(version.source in SOURCES, when, "source is not src or ours")
        _check(isinstance(version.concession, bool), when, "concession is not true or false")
        if variable:
            _check(version.paper_cents is None and not version.concession, when, "a variable amount has no fee")
        else:
            paper = version.paper_cents
            _check(_whole(paper) and paper > 0 and paper % 100 == 0, when, "paper_cents is not whole dollars")
        until = version.effective_until
        _check(until is None or until > version.effective_from, when, "ends before it starts")
        if following is not None:
            _check(until is not None and until <= following.effective_from, when, "overlaps the next version")
    return Item(code, raw["description_en"], raw["description_zh"], variable, versions)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(ok: bool, where: str, what: str) -> None:
    if not ok:
        raise ScheduleDataError(f"fee schedule: {where}: {what}")


@cache
def default_schedule() -> FeeSchedule:
    """The schedule shipped with the service, read once per process."""
    text = resources.files("payments.data").joinpath("fee_schedules.json").read_text("utf-8")
    return load_schedule(json.loads(text))
