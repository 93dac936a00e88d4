"""The e-fillable originating-document forms: their schemas, their checks and what they mean."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import form_examples as examples
import pytest
from jsonschema import Draft202012Validator

from filing.domain import forms
from filing.domain.forms import FORM_IDS, FormError, InvalidForm

WRITS = ("writ_dcpi", "writ_dccj", "writ_hca", "writ_hcpi", "writ_hccl")


def fields(errors: list[FormError]) -> list[str]:
    return [error.field for error in errors]


def string_leaves(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from string_leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from string_leaves(value, (*path, index))
    elif isinstance(node, str):
        yield path, node


def put(data: dict, path: tuple[str | int, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def properties(schema: dict, path: str = "") -> Iterator[tuple[str, dict]]:
    """Every property schema of a form, with its path; the ``if`` of a conditional only tests values."""
    for name, child in schema.get("properties", {}).items():
        yield f"{path}/{name}", child
        yield from properties(child, f"{path}/{name}")
        if "items" in child:
            yield f"{path}/{name}/items", child["items"]
            yield from properties(child["items"], f"{path}/{name}/items")
    for name, definition in schema.get("$defs", {}).items():
        yield from properties(definition, f"$defs/{name}")


def test_the_catalogue_lists_every_form_in_order_with_its_title() -> None:
    catalogue = forms.form_catalogue()
    assert [entry["id"] for entry in catalogue] == list(FORM_IDS) == list(examples.BUILDERS)
    for entry in catalogue:
        assert entry["title"] == forms.form_schema(entry["id"])["title"] and entry["description"]


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_each_form_is_a_self_contained_2020_12_schema(form_id: str) -> None:
    schema = forms.form_schema(form_id)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    refs = {value for path, value in string_leaves(schema) if path[-1] == "$ref"}
    assert refs and {ref.removeprefix("#/$defs/") for ref in refs} <= set(schema["$defs"])
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_property_has_a_title_and_a_description_for_the_portal(form_id: str) -> None:
    for path, schema in properties(forms.form_schema(form_id)):
        assert schema.get("title") and schema.get("description"), path
        if schema.get("type") == "object":
            assert schema["additionalProperties"] is False, path


def test_the_served_schema_is_a_copy_the_caller_may_change() -> None:
    forms.form_schema("writ_hca")["properties"].clear()
    assert forms.form_schema("writ_hca")["properties"]


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_the_example_of_each_form_is_valid(form_id: str) -> None:
    assert forms.validate_form(form_id, examples.BUILDERS[form_id]()) == []


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_no_string_anywhere_in_a_form_may_hold_a_nul(form_id: str) -> None:
    valid = examples.BUILDERS[form_id]()
    for path, value in string_leaves(valid):
        data = examples.BUILDERS[form_id]()
        put(data, path, value + "\x00")
        errors = forms.validate_form(form_id, data)
        assert "/".join(map(str, path)) in fields(errors), path


@pytest.mark.parametrize(("form_id", "path"), [
    ("writ_dcpi", ("plaintiffs",)), ("writ_dcpi", ("date_of_injury",)), ("writ_dcpi", ("nature_of_injuries",)),
    ("writ_dcpi", ("place_of_accident",)), ("writ_dccj", ("indorsement_of_claim",)), ("writ_hca", ("remedies",)),
    ("writ_hcpi", ("defendants", 0, "name")), ("writ_hccl", ("commercial_list_category",)),
    ("writ_hca", ("language",)), ("writ_hca", ("plaintiffs", 0, "address", "lines")),
    ("notice_of_appeal_cacv", ("grounds",)), ("notice_of_appeal_cacv", ("decision_appealed_from", "judge")),
    ("notice_of_appeal_cacv", ("relief_sought",)), ("sct_bulk_claims", ("claimant",)),
    ("sct_bulk_claims", ("claims", 0, "amount_claimed_cents")), ("sct_bulk_claims", ("claims", 0, "defendant", "kind")),
])  # fmt: skip
def test_a_missing_required_field_is_named(form_id: str, path: tuple[str | int, ...]) -> None:
    data = examples.BUILDERS[form_id]()
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    assert forms.validate_form(form_id, data) == [FormError("/".join(map(str, path)), "is required")]


def test_optional_fields_may_be_left_out() -> None:
    data = examples.writ_dcpi()
    del data["solicitor_reference"]
    for party in data["plaintiffs"] + data["defendants"]:
        del party["name_zh"], party["hkid_or_br"], party["address"]["district"]
    assert forms.validate_form("writ_dcpi", data) == []


def test_fields_a_form_does_not_have_are_refused_wherever_they_are() -> None:
    data = examples.writ_hca()
    data["role"] = "plaintiff"
    data["defendants"][0]["role"] = "defendant"
    data["defendants"][0]["address"]["postcode"] = "000"
    data["odd/key"] = 1
    assert forms.validate_form("writ_hca", data) == [
        FormError("defendants/0/address/postcode", "is not a field of this form"),
        FormError("defendants/0/role", "is not a field of this form"),
        FormError("odd~1key", "is not a field of this form"),
        FormError("role", "is not a field of this form"),
    ]


@pytest.mark.parametrize("form_id", ["writ_dcpi", "writ_dccj"])
def test_a_district_court_claim_is_at_most_three_million_dollars(form_id: str) -> None:
    data = examples.BUILDERS[form_id]()
    data["amount_claimed_cents"] = 300_000_000
    assert forms.validate_form(form_id, data) == []
    data["amount_claimed_cents"] = 300_000_001
    assert forms.validate_form(form_id, data) == [FormError("amount_claimed_cents", "must be at most HK$3,000,000.00")]


@pytest.mark.parametrize("form_id", ["writ_hca", "writ_hcpi", "writ_hccl"])
def test_the_court_of_first_instance_has_no_money_limit(form_id: str) -> None:
    data = examples.BUILDERS[form_id]()
    data["amount_claimed_cents"] = 300_000_001
    assert forms.validate_form(form_id, data) == []


@pytest.mark.parametrize(("amount", "problem"), [
    (0, "must be at least HK$0.01"), (-5, "must be at least HK$0.01"), (7_500_001, "must be at most HK$75,000.00"),
    (12.5, "must be a whole number"), ("100", "must be a whole number"), (True, "must be a whole number"),
    (1, None), (7_500_000, None),
])  # fmt: skip
def test_a_small_claim_is_a_whole_number_of_cents_up_to_75000_dollars(amount: Any, problem: str | None) -> None:
    data = examples.sct_bulk_claims(1)
    data["claims"][0]["amount_claimed_cents"] = amount
    expected = [] if problem is None else [FormError("claims/0/amount_claimed_cents", problem)]
    assert forms.validate_form("sct_bulk_claims", data) == expected


def test_a_bulk_filing_holds_one_to_500_claims() -> None:
    started = time.perf_counter()
    assert forms.validate_form("sct_bulk_claims", examples.sct_bulk_claims(500)) == []
    assert time.perf_counter() - started < 5
    assert forms.validate_form("sct_bulk_claims", examples.sct_bulk_claims(501)) == [
        FormError("claims", "must have at most 500 entries")
    ]
    assert forms.validate_form("sct_bulk_claims", examples.sct_bulk_claims(0)) == [
        FormError("claims", "must have at least 1 entry")
    ]


def test_a_side_holds_one_to_twenty_parties() -> None:
    data = examples.writ_hca()
    data["defendants"] = [examples.party(f"DEFENDANT {n}") for n in range(21)]
    data["plaintiffs"] = []
    assert forms.validate_form("writ_hca", data) == [
        FormError("defendants", "must have at most 20 entries"),
        FormError("plaintiffs", "must have at least 1 entry"),
    ]


@pytest.mark.parametrize(("value", "problem"), [
    ("   ", "must not be blank"), ("CHAN\nTai Man", "must be a single line, without tabs"),
    ("CHAN\tTai Man", "must be a single line, without tabs"), ("CHAN Tai Man\n", "must be a single line, without tabs"),
    ("CHAN\x07", "must not contain control characters"),
    ("", "must not be blank"), ("X" * 201, "must be at most 200 characters"), (None, "must be text"),
])  # fmt: skip
def test_a_party_name_is_one_line_of_up_to_200_characters(value: Any, problem: str) -> None:
    data = examples.writ_hca()
    data["plaintiffs"][0]["name"] = value
    assert forms.validate_form("writ_hca", data) == [FormError("plaintiffs/0/name", problem)]


def test_free_text_keeps_its_line_breaks_and_is_at_most_20000_characters() -> None:
    data = examples.writ_hca()
    data["indorsement_of_claim"] = "First paragraph.\r\n\r\n\tSecond paragraph.\n" + "x" * 19_900
    assert forms.validate_form("writ_hca", data) == []
    data["indorsement_of_claim"] = "x" * 20_001
    assert forms.validate_form("writ_hca", data) == [
        FormError("indorsement_of_claim", "must be at most 20000 characters")
    ]
    data["indorsement_of_claim"] = "\n \n"
    assert forms.validate_form("writ_hca", data) == [FormError("indorsement_of_claim", "must not be blank")]


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("kind", "person", "must be one of: individual, company, government, other"),
    ("hkid_or_br", "A123#", "is not in the expected form, e.g. A123456(7)"),
    ("hkid_or_br", "X" * 21, "must be at most 20 characters"),
    ("name_zh", "陳" * 101, "must be at most 100 characters"),
])  # fmt: skip
def test_party_details_are_checked(field: str, value: str, problem: str) -> None:
    data = examples.writ_dcpi()
    data["defendants"][0][field] = value
    assert forms.validate_form("writ_dcpi", data) == [FormError(f"defendants/0/{field}", problem)]


def test_an_address_has_one_to_four_lines() -> None:
    data = examples.writ_hca()
    data["plaintiffs"][0]["address"]["lines"] = ["1", "2", "3", "4", "5"]
    data["defendants"][0]["address"] = {"lines": []}
    assert fields(forms.validate_form("writ_hca", data)) == ["defendants/0/address/lines", "plaintiffs/0/address/lines"]


@pytest.mark.parametrize("value", ["2026-02-30", "14/03/2026", "20260314", "2026-3-14"])
def test_a_date_is_a_real_calendar_date_written_yyyy_mm_dd(value: str) -> None:
    data = examples.writ_hcpi()
    data["date_of_injury"] = value
    assert forms.validate_form("writ_hcpi", data) == [
        FormError("date_of_injury", "must be a real date written YYYY-MM-DD")
    ]


def test_given_today_an_injury_or_a_decision_in_the_future_is_refused() -> None:
    injury = examples.writ_dcpi()  # injured on 2026-03-14
    assert forms.validate_form("writ_dcpi", injury, today=date(2026, 3, 14)) == []
    assert forms.validate_form("writ_dcpi", injury, today=date(2026, 3, 13)) == [
        FormError("date_of_injury", "must not be later than today")
    ]
    appeal = examples.notice_of_appeal_cacv()  # decided on 2026-02-20
    assert forms.validate_form("notice_of_appeal_cacv", appeal, today=date(2026, 2, 19)) == [
        FormError("decision_appealed_from/date_of_decision", "must not be later than today")
    ]


def test_an_appeal_from_an_interlocutory_decision_needs_the_date_leave_was_granted() -> None:
    data = examples.notice_of_appeal_cacv()
    data["decision_appealed_from"]["decision_type"] = "interlocutory"
    assert forms.validate_form("notice_of_appeal_cacv", data) == [
        FormError("decision_appealed_from/leave_granted_on", "is required")
    ]
    data["decision_appealed_from"]["leave_granted_on"] = "2026-03-02"
    assert forms.validate_form("notice_of_appeal_cacv", data) == []


@pytest.mark.parametrize("case_number", ["hca 123/2025", "HCA 0/2025", "HCA123/2025", "HCA 123/25", "HCA 1/2025\n"])
def test_the_decision_appealed_from_is_named_by_its_case_number(case_number: str) -> None:
    data = examples.notice_of_appeal_cacv()
    data["decision_appealed_from"]["case_number"] = case_number
    assert fields(forms.validate_form("notice_of_appeal_cacv", data)) == ["decision_appealed_from/case_number"]


def test_errors_come_all_at_once_in_field_order_with_list_positions_in_number_order() -> None:
    data = examples.writ_hca()
    data["defendants"] = [examples.party(f"DEFENDANT {n}") for n in range(12)]
    for index in (10, 2):
        data["defendants"][index]["name"] = ""
    del data["remedies"]
    data["amount_claimed_cents"] = -1
    found = forms.validate_form("writ_hca", data)
    assert fields(found) == ["amount_claimed_cents", "defendants/2/name", "defendants/10/name", "remedies"]
    assert forms.validate_form("writ_hca", data) == found


@pytest.mark.parametrize("data", [None, [], "writ", 3])
def test_a_form_that_is_not_an_object_is_refused_as_a_whole(data: Any) -> None:
    assert forms.validate_form("writ_hca", data) == [FormError("form", "must be an object")]


def test_an_unknown_form_is_a_key_error() -> None:
    for call in (
        lambda: forms.validate_form("writ_xx", {}),
        lambda: forms.form_schema("writ_xx"),
        lambda: forms.read_originating("writ_xx", {}),
        lambda: forms.choice_label("writ_xx", "kind", "x"),
    ):
        with pytest.raises(KeyError):
            call()


def test_a_writ_starts_one_case_titled_plaintiff_v_defendant() -> None:
    data = examples.writ_dcpi()
    [case] = forms.read_originating("writ_dcpi", data)
    assert case.title == "CHAN Tai Man v. Wing Fat Construction Company Limited"
    assert case.document_title == "Writ of Summons" and case.form_id == "writ_dcpi"
    assert case.nature_of_claim == "Damages for personal injuries suffered in an accident at work"
    assert case.amount_claimed_cents is None  # unliquidated damages
    plaintiff, defendant = case.parties
    assert plaintiff == forms.Party(
        role="plaintiff",
        name="CHAN Tai Man",
        name_zh="陳大文",
        kind="individual",
        address=forms.Address(("Flat A, 12/F, Tower 1, Harbour Court", "8 Harbour Road"), "Wan Chai"),
        hkid_or_br="A123456(7)",
    )
    assert (defendant.role, defendant.kind, defendant.name_zh) == ("defendant", "company", "榮發建築有限公司")
    assert case.form_data == data and case.form_data is not data


@pytest.mark.parametrize(("plaintiffs", "defendants", "title"), [
    (["A"], ["B"], "A v. B"),
    (["A", "A2"], ["B"], "A and A2 v. B"),
    (["A", "A2", "A3"], ["B", "B2", "B3", "B4"], "A and Others v. B and Others"),
])  # fmt: skip
def test_the_case_title_names_the_first_party_of_each_side(plaintiffs: list, defendants: list, title: str) -> None:
    data = examples.writ_hca()
    data["plaintiffs"] = [examples.party(name) for name in plaintiffs]
    data["defendants"] = [examples.party(name) for name in defendants]
    [case] = forms.read_originating("writ_hca", data)
    assert case.title == title
    assert [(party.role, party.name) for party in case.parties] == [
        *(("plaintiff", name) for name in plaintiffs),
        *(("defendant", name) for name in defendants),
    ]


def test_names_are_read_without_surrounding_spaces_and_amounts_as_integers() -> None:
    data = examples.writ_dccj(plaintiff="  Golden Harvest Trading Limited ")
    data["amount_claimed_cents"] = 85_000_000.0  # JSON has one number type; 85000000.0 is a whole number
    [case] = forms.read_originating("writ_dccj", data)
    assert case.title == "Golden Harvest Trading Limited v. LEE Siu Ming"
    assert case.amount_claimed_cents == 85_000_000 and type(case.amount_claimed_cents) is int


def test_an_appeal_names_the_appellants_first_and_says_what_it_is_against() -> None:
    [case] = forms.read_originating("notice_of_appeal_cacv", examples.notice_of_appeal_cacv())
    assert case.title == "Pacific Crest Holdings Limited v. WONG Mei Ling"
    assert case.document_title == "Notice of Appeal" and case.amount_claimed_cents is None
    assert [party.role for party in case.parties] == ["appellant", "respondent"]
    assert case.nature_of_claim == (
        "Appeal against the final decision of Deputy High Court Judge CHAN in the Court of First Instance, "
        "HCA 123/2025, dated 20 February 2026"
    )


def test_bulk_claims_start_one_case_per_claim_each_a_valid_form_of_its_own() -> None:
    data = examples.sct_bulk_claims(3)
    cases = forms.read_originating("sct_bulk_claims", data)
    assert [case.title for case in cases] == [f"Harbour Mobile Limited v. DEFENDANT {n}" for n in (1, 2, 3)]
    assert [case.amount_claimed_cents for case in cases] == [100_001, 100_002, 100_003]
    for case, claim in zip(cases, data["claims"], strict=True):
        assert case.document_title == "Claim" and case.nature_of_claim == "Unpaid mobile telephone service fees"
        assert [party.role for party in case.parties] == ["claimant", "defendant"]
        assert case.form_data["claims"] == [claim] and case.form_data["claimant"] == data["claimant"]
        assert forms.validate_form("sct_bulk_claims", case.form_data) == []
    cases[0].form_data["claimant"]["name"] = "changed"
    assert cases[1].form_data["claimant"]["name"] == "Harbour Mobile Limited"


def test_reading_an_invalid_form_raises_with_its_errors() -> None:
    data = examples.writ_hca()
    del data["defendants"]
    with pytest.raises(InvalidForm) as raised:
        forms.read_originating("writ_hca", data)
    assert raised.value.errors == [FormError("defendants", "is required")]


def test_choices_have_titles_and_dates_are_written_the_court_s_way() -> None:
    assert forms.choice_label("writ_hccl", "commercial_list_category", "banking_and_finance") == (
        "Banking and financial services"
    )
    assert forms.choice_label("notice_of_appeal_cacv", "decision_appealed_from/court", "lands_tribunal") == (
        "Lands Tribunal"
    )
    assert forms.choice_label("writ_hca", "language", "fr") == "fr"
    assert forms.court_date(date(2026, 2, 1)) == "1 February 2026"
