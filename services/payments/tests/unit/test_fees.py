"""The fee schedules and quotes: the sourced amounts, the concession windows by Hong Kong date, effective
dates, rounding, the errors that name their field, and the data itself."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, time
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.domain.fees import (
    SCHEDULE_COURT,
    BadQuantity,
    FeeError,
    NotInForce,
    Quote,
    ScheduleDataError,
    UnknownCourt,
    UnknownItem,
    VariableAmount,
    default_schedule,
    electronic_cents,
    load_schedule,
    schedule_court,
)

HK = ZoneInfo("Asia/Hong_Kong")
FEES = default_schedule()


def hk(day: str, at: str = "10:00") -> datetime:
    """An instant given in Hong Kong time."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(at), HK)


def one(court: str, code: str, channel: str, at: datetime, quantity: int = 1) -> int:
    """The unit fee, in cents, of one item."""
    return FEES.quote(court, [(code, quantity)], channel, at).lines[0].unit_cents


def raw_data() -> dict[str, Any]:
    return json.loads(resources.files("payments.data").joinpath("fee_schedules.json").read_text("utf-8"))


# The amounts DOMAIN.md gives (src) ------------------------------------------------------------------------


def test_a_dc_search_costs_hk_18_on_paper_and_hk_14_electronically_inside_the_window() -> None:
    assert one("DC", "DC.SEARCH", "paper", hk("2026-03-02")) == 1800
    assert one("DC", "DC.SEARCH", "electronic", hk("2026-03-02")) == 1400


def test_the_dc_concession_ends_with_the_hong_kong_day_before_6_may_2027() -> None:
    assert one("DC", "DC.SEARCH", "electronic", hk("2027-05-05", "23:59:59.999999")) == 1400
    assert one("DC", "DC.SEARCH", "electronic", hk("2027-05-06", "00:00")) == 1800
    assert one("DC", "DC.SEARCH", "electronic", hk("2030-01-02")) == 1800
    # Still 5 May in UTC, but 6 May in Hong Kong: the Hong Kong date decides.
    assert one("DC", "DC.SEARCH", "electronic", datetime(2027, 5, 5, 16, 0, tzinfo=UTC)) == 1800
    assert one("DC", "DC.SEARCH", "electronic", datetime(2027, 5, 5, 15, 59, tzinfo=UTC)) == 1400


def test_the_dc_concession_starts_on_6_may_2022_hong_kong_time() -> None:
    assert one("DC", "DC.SEARCH", "electronic", hk("2022-05-05", "23:59")) == 1800
    assert one("DC", "DC.SEARCH", "electronic", hk("2022-05-06", "00:00")) == 1400


def test_the_cfi_writ_costs_hk_1045_on_paper_and_hk_836_electronically_inside_the_high_court_window() -> None:
    assert one("CFI", "HC.WRIT", "paper", hk("2026-03-02")) == 104500
    assert one("CFI", "HC.WRIT", "electronic", hk("2026-03-02")) == 83600
    assert one("CFI", "HC.WRIT", "electronic", hk("2025-06-30", "00:00")) == 83600
    assert one("CFI", "HC.WRIT", "electronic", hk("2028-06-29", "23:59")) == 83600


def test_the_cfi_writ_costs_hk_1045_electronically_before_and_after_the_high_court_window() -> None:
    assert one("CFI", "HC.WRIT", "electronic", hk("2025-06-29", "23:59")) == 104500
    assert one("CFI", "HC.WRIT", "electronic", hk("2028-06-30", "00:00")) == 104500
    assert one("CFI", "HC.WRIT", "paper", hk("2028-06-30")) == 104500


def test_paper_filers_pay_the_paper_fee_inside_every_window() -> None:
    for court, code in [("DC", "DC.SEARCH"), ("CFI", "HC.WRIT"), ("MC", "MC.SEARCH"), ("SCT", "SCT.SEARCH")]:
        assert one(court, code, "paper", hk("2026-03-02")) == FEES.item(code, hk("2026-03-02")).paper_cents


def test_the_magistrates_window_runs_from_30_december_2022_to_29_december_2027() -> None:
    assert one("MC", "MC.SEARCH", "electronic", hk("2022-12-29")) == 1800
    assert one("MC", "MC.SEARCH", "electronic", hk("2022-12-30", "00:00")) == 1400
    assert one("MC", "MC.SEARCH", "electronic", hk("2027-12-29", "23:59")) == 1400
    assert one("MC", "MC.SEARCH", "electronic", hk("2027-12-30", "00:00")) == 1800


def test_the_small_claims_tribunal_has_no_concession() -> None:
    assert FEES.court("SCT").concession is None
    assert one("SCT", "SCT.SEARCH", "electronic", hk("2026-03-02")) == 1800
    assert one("SCT", "SCT.CLAIM", "electronic", hk("2026-03-02")) == one("SCT", "SCT.CLAIM", "paper", hk("2026-03-02"))


# Items without concession -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("court", "code"), [("DC", "DC.COPY_CERTIFIED"), ("CFI", "HC.TAXATION")])
def test_an_item_without_concession_costs_the_paper_fee_electronically_inside_the_window(court: str, code: str) -> None:
    at = hk("2026-03-02")
    item = FEES.item(code, at)
    assert not item.concession and FEES.court(court).window_open(at.date()) is not None
    line = FEES.quote(court, [(code, 2)], "electronic", at).lines[0]
    assert line.unit_cents == line.paper_unit_cents == item.paper_cents
    assert line.amount_cents == 2 * item.paper_cents
    assert not line.concession_applied
    assert "electronic" not in line.description


# Effective dates ---------------------------------------------------------------------------------------------


def test_the_dc_writ_fee_in_force_is_the_one_of_the_hong_kong_date() -> None:
    assert one("DC", "DC.WRIT", "paper", hk("2024-03-31", "23:59")) == 60000
    assert one("DC", "DC.WRIT", "paper", hk("2024-04-01", "00:00")) == 63000
    assert one("DC", "DC.WRIT", "paper", datetime(2024, 3, 31, 16, 0, tzinfo=UTC)) == 63000
    assert one("DC", "DC.WRIT", "electronic", hk("2024-03-31")) == 48000
    assert one("DC", "DC.WRIT", "electronic", hk("2024-04-01")) == 50400


def test_item_names_the_version_in_force() -> None:
    before, after = FEES.item("DC.WRIT", hk("2024-03-31")), FEES.item("DC.WRIT", hk("2024-04-01"))
    assert (before.paper_cents, before.effective_from, before.effective_until) == (
        60000,
        date(2009, 4, 2),
        date(2024, 4, 1),
    )
    assert (after.paper_cents, after.effective_from, after.effective_until) == (63000, date(2024, 4, 1), None)
    assert after.court == "DC" and after.source == "ours" and after.description_zh == "發出傳訊令狀"


def test_an_item_before_its_first_version_is_not_in_force() -> None:
    with pytest.raises(NotInForce) as raised:
        FEES.quote("DC", [("DC.SEARCH", 1), ("DC.WRIT", 1)], "paper", hk("2009-04-01", "23:59"))
    assert raised.value.field == "items.0.code"
    assert "2009-04-01" in raised.value.detail
    with pytest.raises(NotInForce) as raised:
        FEES.item("DC.WRIT", hk("2001-01-01"))
    assert raised.value.field == "code"
    assert FEES.item("DC.WRIT", hk("2009-04-02", "00:00")).paper_cents == 60000


def test_a_withdrawn_item_is_not_in_force_after_its_last_version() -> None:
    raw = raw_data()
    search = next(i for i in raw["schedules"]["DC"]["items"] if i["code"] == "DC.SEARCH")
    search["versions"][0]["effective_until"] = "2026-01-01"
    fees = load_schedule(raw)
    assert fees.quote("DC", [("DC.SEARCH", 1)], "paper", hk("2025-12-31")).total_cents == 1800
    with pytest.raises(NotInForce):
        fees.quote("DC", [("DC.SEARCH", 1)], "paper", hk("2026-01-01"))
    assert "DC.SEARCH" not in [i["code"] for i in fees.court_as_json("DC", hk("2026-01-01"))["items"]]


# Rounding ---------------------------------------------------------------------------------------------------


def test_the_e_fee_is_rounded_down_to_the_whole_dollar() -> None:
    assert electronic_cents(1800, 80) == 1400  # 14.40 -> 14
    assert electronic_cents(104500, 80) == 83600
    assert electronic_cents(63000, 80) == 50400
    assert electronic_cents(1900, 80) == 1500  # 15.20 -> 15
    assert electronic_cents(100, 80) == 0


@given(st.integers(min_value=1, max_value=10**7).map(lambda dollars: dollars * 100))
def test_every_e_fee_is_whole_dollars_at_most_80_percent_and_less_than_a_dollar_under_it(paper: int) -> None:
    electronic = electronic_cents(paper, 80)
    assert electronic % 100 == 0
    assert electronic * 100 <= paper * 80
    assert electronic * 100 > paper * 80 - 100 * 100


@given(
    dollars=st.integers(min_value=1, max_value=10**6),
    quantity=st.integers(min_value=1, max_value=1000),
)
def test_a_quoted_e_fee_keeps_the_rounding_rule_for_any_paper_fee(dollars: int, quantity: int) -> None:
    raw = raw_data()
    version = {"effective_from": "2020-01-01", "effective_until": None, "concession": True, "source": "ours"}
    raw["schedules"]["DC"]["items"][0]["versions"] = [version | {"paper_cents": dollars * 100}]
    fees = load_schedule(raw)
    line = fees.quote("DC", [("DC.WRIT", quantity)], "electronic", hk("2026-03-02")).lines[0]
    assert line.concession_applied and line.paper_unit_cents == dollars * 100
    assert line.unit_cents % 100 == 0
    assert line.unit_cents * 100 <= line.paper_unit_cents * 80 < (line.unit_cents + 100) * 100
    assert line.amount_cents == line.unit_cents * quantity


# Quotes ------------------------------------------------------------------------------------------------------


def test_a_quote_has_a_line_per_item_in_order_and_their_total() -> None:
    quote = FEES.quote(
        "CFI", [("HC.WRIT", 1), ("HC.SEARCH", 3), ("HC.TAXATION", 2), ("HC.SEARCH", 1)], "electronic", hk("2026-03-02")
    )
    assert isinstance(quote, Quote)
    assert quote.court == "HC" and quote.channel == "electronic" and quote.at == hk("2026-03-02")
    assert [(line.code, line.quantity, line.unit_cents, line.amount_cents) for line in quote.lines] == [
        ("HC.WRIT", 1, 83600, 83600),
        ("HC.SEARCH", 3, 1400, 4200),
        ("HC.TAXATION", 2, 5000, 10000),
        ("HC.SEARCH", 1, 1400, 1400),
    ]
    assert quote.total_cents == 83600 + 4200 + 10000 + 1400
    assert [line.concession_applied for line in quote.lines] == [True, True, False, True]
    assert [line.source for line in quote.lines] == ["src", "src", "ours", "src"]
    assert [line.paper_unit_cents for line in quote.lines] == [104500, 1800, 5000, 1800]


def test_an_electronic_concession_line_says_so_in_both_languages() -> None:
    line = FEES.quote("DC", [("DC.WRIT", 1)], "electronic", hk("2026-03-02")).lines[0]
    assert line.description == "Issue of a writ of summons (electronic filing, 80% of the paper fee)"
    assert line.description_zh.startswith("發出傳訊令狀") and "80%" in line.description_zh
    paper = FEES.quote("DC", [("DC.WRIT", 1)], "paper", hk("2026-03-02")).lines[0]
    assert (paper.description, paper.description_zh) == ("Issue of a writ of summons", "發出傳訊令狀")


@pytest.mark.parametrize("court", ["CFA", "CA", "CFI", "HC"])
def test_every_level_of_the_high_court_pays_by_its_schedule(court: str) -> None:
    assert schedule_court(court) == "HC"
    assert FEES.quote(court, [("HC.APPEAL", 1)], "paper", hk("2026-03-02")).court == "HC"


def test_schedule_courts_are_the_four_of_the_rules() -> None:
    assert FEES.courts() == ("DC", "HC", "MC", "SCT")
    assert set(SCHEDULE_COURT.values()) == set(FEES.courts())
    assert {court: schedule_court(court) for court in SCHEDULE_COURT} == SCHEDULE_COURT


# Errors -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("court", ["XX", "", "dc", "HCA", "LT"])
def test_an_unknown_court_is_an_error_on_the_court_field(court: str) -> None:
    with pytest.raises(UnknownCourt) as raised:
        FEES.quote(court, [("DC.WRIT", 1)], "paper", hk("2026-03-02"))
    assert raised.value.field == "court" and raised.value.court == court
    with pytest.raises(UnknownCourt):
        schedule_court(court)
    with pytest.raises(UnknownCourt):
        FEES.court_as_json(court, hk("2026-03-02"))


def test_an_unknown_item_is_named_by_its_index() -> None:
    with pytest.raises(UnknownItem) as raised:
        FEES.quote("DC", [("DC.WRIT", 1), ("DC.NOTHING", 1)], "paper", hk("2026-03-02"))
    assert (raised.value.field, raised.value.code, raised.value.index) == ("items.1.code", "DC.NOTHING", 1)
    with pytest.raises(UnknownItem) as raised:
        FEES.item("XX.WRIT", hk("2026-03-02"))
    assert raised.value.field == "code"


@pytest.mark.parametrize(("court", "code"), [("DC", "HC.WRIT"), ("CFI", "DC.WRIT"), ("SCT", "MC.SEARCH")])
def test_an_item_of_another_court_is_unknown_in_this_one(court: str, code: str) -> None:
    with pytest.raises(UnknownItem) as raised:
        FEES.quote(court, [(code, 1)], "paper", hk("2026-03-02"))
    assert raised.value.field == "items.0.code"
    assert f"the {schedule_court(court)} fee schedule" in raised.value.detail


def test_a_fine_is_never_quoted() -> None:
    assert FEES.item("MC.FINE", hk("2026-03-02")).variable_amount
    with pytest.raises(VariableAmount) as raised:
        FEES.quote("MC", [("MC.SEARCH", 1), ("MC.FINE", 1)], "electronic", hk("2026-03-02"))
    assert raised.value.field == "items.1.code"


@pytest.mark.parametrize("quantity", [0, -1, 1001, 10**12, True, 1.5, "1"])
def test_a_quantity_outside_1_to_1000_is_an_error_on_its_field(quantity: Any) -> None:
    with pytest.raises(BadQuantity) as raised:
        FEES.quote("DC", [("DC.WRIT", 1), ("DC.SEARCH", quantity)], "paper", hk("2026-03-02"))
    assert raised.value.field == "items.1.quantity"


def test_a_quantity_of_1000_is_quoted() -> None:
    assert FEES.quote("DC", [("DC.SEARCH", 1000)], "paper", hk("2026-03-02")).total_cents == 1_800_000


def test_an_unknown_channel_or_no_items_is_an_error_on_its_field() -> None:
    with pytest.raises(FeeError) as raised:
        FEES.quote("DC", [("DC.WRIT", 1)], "fax", hk("2026-03-02"))
    assert raised.value.field == "channel"
    with pytest.raises(FeeError) as raised:
        FEES.quote("DC", [], "paper", hk("2026-03-02"))
    assert raised.value.field == "items"


def test_every_fee_error_is_a_value_error_with_a_field_a_detail_and_a_kind() -> None:
    for error in (
        UnknownCourt("XX"),
        UnknownItem("DC.X", 0),
        NotInForce("DC.X", hk("2026-03-02"), 0),
        VariableAmount("MC.FINE", 0),
        BadQuantity(0),
    ):
        assert isinstance(error, FeeError) and isinstance(error, ValueError)
        assert error.field and error.detail and error.kind and error.title


def test_an_instant_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        FEES.quote("DC", [("DC.WRIT", 1)], "paper", datetime(2026, 3, 2, 10, 0))


# The JSON view -------------------------------------------------------------------------------------------------


def test_the_json_view_lists_each_court_with_the_items_in_force_and_their_fees() -> None:
    view = FEES.as_json(hk("2026-03-02"))
    assert view["at"] == "2026-03-02T02:00:00Z" and view["currency"] == "HKD" and view["notice"]
    assert [c["court"] for c in view["courts"]] == ["DC", "HC", "MC", "SCT"]
    dc = view["courts"][0]
    assert (dc["name"], dc["name_zh"], dc["rule"]) == (
        "District Court",
        "區域法院",
        "District Court Civil Fees Rules (Cap. 336C)",
    )
    assert dc["concession_window"] == {
        "from": "2022-05-06",
        "until": "2027-05-06",
        "rate_percent": 80,
        "source": "src",
        "open": True,
    }
    items = {i["code"]: i for c in view["courts"] for i in c["items"]}
    assert (items["DC.SEARCH"]["paper_cents"], items["DC.SEARCH"]["electronic_cents"]) == (1800, 1400)
    assert (items["DC.WRIT"]["paper_cents"], items["DC.WRIT"]["effective_from"]) == (63000, "2024-04-01")
    assert (items["DC.COPY_CERTIFIED"]["paper_cents"], items["DC.COPY_CERTIFIED"]["electronic_cents"]) == (9000, 9000)
    assert items["MC.FINE"]["variable_amount"] and items["MC.FINE"]["paper_cents"] is None
    assert view["courts"][3]["concession_window"] is None


def test_the_json_view_of_a_court_follows_the_date_asked() -> None:
    before = FEES.court_as_json("CFI", hk("2024-03-31"))
    assert before["court"] == "HC" and before["concession_window"]["open"] is False
    writ = next(i for i in before["items"] if i["code"] == "HC.WRIT")
    assert (writ["paper_cents"], writ["electronic_cents"]) == (104500, 104500)
    dc = {i["code"]: i for i in FEES.court_as_json("DC", hk("2024-03-31"))["items"]}
    assert (dc["DC.WRIT"]["paper_cents"], dc["DC.WRIT"]["effective_until"]) == (60000, "2024-04-01")


# The data -------------------------------------------------------------------------------------------------------


def test_only_the_amounts_domain_md_gives_are_marked_sourced() -> None:
    sourced = {
        (code, version.paper_cents)
        for court in FEES.schedules.values()
        for code, item in court.items.items()
        for version in item.versions
        if version.source == "src"
    }
    assert sourced == {("DC.SEARCH", 1800), ("HC.SEARCH", 1800), ("MC.SEARCH", 1800), ("SCT.SEARCH", 1800)} | {
        ("HC.WRIT", 104500)
    }


def test_the_concession_windows_are_those_of_domain_md() -> None:
    windows = {code: FEES.court(code).concession for code in FEES.courts()}
    assert {code: (w.starts, w.ends, w.rate_percent) if w else None for code, w in windows.items()} == {
        "DC": (date(2022, 5, 6), date(2027, 5, 6), 80),
        "MC": (date(2022, 12, 30), date(2027, 12, 30), 80),
        "HC": (date(2025, 6, 30), date(2028, 6, 30), 80),
        "SCT": None,
    }


def test_every_item_has_both_descriptions_and_every_court_both_names() -> None:
    for court in FEES.schedules.values():
        assert court.name and court.name_zh and court.rule
        for item in court.items.values():
            assert item.description_en and item.description_zh


def test_the_shipped_data_loads_and_is_read_once() -> None:
    assert default_schedule() is FEES
    assert load_schedule(raw_data()) == FEES


def _dc_item(raw: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in raw["schedules"]["DC"]["items"] if i["code"] == code)


def _overlap(raw: dict[str, Any]) -> None:
    _dc_item(raw, "DC.WRIT")["versions"][0]["effective_until"] = "2024-05-01"


def _open_middle(raw: dict[str, Any]) -> None:
    _dc_item(raw, "DC.WRIT")["versions"][0]["effective_until"] = None


def _cents(raw: dict[str, Any]) -> None:
    _dc_item(raw, "DC.SEARCH")["versions"][0]["paper_cents"] = 1850


def _float(raw: dict[str, Any]) -> None:
    _dc_item(raw, "DC.SEARCH")["versions"][0]["paper_cents"] = 1800.0


def _wrong_court(raw: dict[str, Any]) -> None:
    _dc_item(raw, "DC.SEARCH")["code"] = "HC.SEARCH"


def _twice(raw: dict[str, Any]) -> None:
    _dc_item(raw, "DC.SEARCH")["code"] = "DC.WRIT"


def _priced_fine(raw: dict[str, Any]) -> None:
    next(i for i in raw["schedules"]["MC"]["items"] if i["code"] == "MC.FINE")["versions"][0]["paper_cents"] = 100


def _no_hc(raw: dict[str, Any]) -> None:
    del raw["schedules"]["HC"]


def _stray_window(raw: dict[str, Any]) -> None:
    raw["concessions"]["LT"] = raw["concessions"]["DC"]


def _window_backwards(raw: dict[str, Any]) -> None:
    raw["concessions"]["DC"]["until"] = "2022-05-06"


def _bad_source(raw: dict[str, Any]) -> None:
    _dc_item(raw, "DC.SEARCH")["versions"][0]["source"] = "guess"


def _no_chinese(raw: dict[str, Any]) -> None:
    _dc_item(raw, "DC.SEARCH")["description_zh"] = ""


def _bad_date(raw: dict[str, Any]) -> None:
    _dc_item(raw, "DC.SEARCH")["versions"][0]["effective_from"] = "2009-02-30"


def _missing_field(raw: dict[str, Any]) -> None:
    del _dc_item(raw, "DC.SEARCH")["versions"][0]["concession"]


@pytest.mark.parametrize(
    "breaks",
    [
        _overlap,
        _open_middle,
        _cents,
        _float,
        _wrong_court,
        _twice,
        _priced_fine,
        _no_hc,
        _stray_window,
        _window_backwards,
        _bad_source,
        _no_chinese,
        _bad_date,
        _missing_field,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_schedule_data_that_breaks_a_rule_is_refused_whole(breaks: Any) -> None:
    raw = copy.deepcopy(raw_data())
    breaks(raw)
    with pytest.raises(ScheduleDataError, match="fee schedule"):
        load_schedule(raw)
