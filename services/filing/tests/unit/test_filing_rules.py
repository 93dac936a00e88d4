"""Filing's pure rules: who may do what, restriction orders, case numbers, and the reference data."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.web.principal import Principal
from filing.domain import access
from filing.domain.access import CaseTies
from filing.domain.catalogue import catalogue
from filing.domain.forms import FORM_IDS
from filing.domain.restrictions import in_force, name_key
from filing.service_layer.case_numbers import case_number

NO_TIES = CaseTies(party=False, assigned=False)
PARTY = CaseTies(party=True, assigned=False)
ASSIGNED = CaseTies(party=False, assigned=True)


def someone(role: str | None, subject: str | None = "account-1") -> Principal:
    roles = (role,) if role else ()
    return Principal(subject, "individual", roles, None, None, "session-1", None, "203.0.113.9")


ANONYMOUS = Principal.anonymous("203.0.113.9")
STAFF_AND_ADMINS = ("PA", "SA", "registry_officer", "help_centre_officer", "system_admin")


# Access ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["IU", "OU"])
def test_individual_and_organisation_users_file(role: str) -> None:
    assert access.may_file(someone(role))


@pytest.mark.parametrize("role", STAFF_AND_ADMINS)
def test_administrators_and_court_staff_do_not_file(role: str) -> None:
    assert not access.may_file(someone(role))


def test_a_role_claimed_without_an_account_counts_for_nothing() -> None:
    assert not access.may_file(someone("IU", subject=None))
    assert not access.is_registry(someone("registry_officer", subject=None))
    assert not access.may_file(ANONYMOUS) and not access.is_registry(ANONYMOUS)


def test_only_registry_officers_are_the_registry() -> None:
    assert access.is_registry(someone("registry_officer"))
    assert not any(access.is_registry(someone(r)) for r in ("IU", "OU", "PA", "SA", "help_centre_officer"))


def test_a_case_is_seen_by_its_parties_its_assigned_users_and_the_registry() -> None:
    assert access.may_see_case(someone("IU"), PARTY)
    assert access.may_see_case(someone("OU"), ASSIGNED)
    assert access.may_see_case(someone("registry_officer"), NO_TIES)
    assert not access.may_see_case(someone("IU"), NO_TIES)
    assert not access.may_see_case(someone("OU"), NO_TIES)


@pytest.mark.parametrize("role", ["PA", "SA", "help_centre_officer", "system_admin"])
def test_ties_to_a_case_do_not_open_it_to_those_who_do_not_file(role: str) -> None:
    assert not access.may_see_case(someone(role), CaseTies(party=True, assigned=True))
    assert not access.may_file_in_case(someone(role), CaseTies(party=True, assigned=True))


def test_filing_in_a_case_needs_a_filer_tied_to_it() -> None:
    assert access.may_file_in_case(someone("IU"), PARTY)
    assert access.may_file_in_case(someone("OU"), ASSIGNED)
    assert not access.may_file_in_case(someone("IU"), NO_TIES)
    assert not access.may_file_in_case(someone("registry_officer"), NO_TIES)


def test_a_filing_is_the_filers_and_the_registrys_until_it_is_on_the_docket() -> None:
    filer = someone("OU", subject="filer")
    colleague = someone("OU", subject="colleague")
    assert access.may_see_filing(filer, NO_TIES, "filer", accepted=False)
    assert access.may_see_filing(someone("registry_officer"), NO_TIES, "filer", accepted=False)
    assert not access.may_see_filing(colleague, ASSIGNED, "filer", accepted=False)
    assert access.may_see_filing(colleague, ASSIGNED, "filer", accepted=True)
    assert not access.may_see_filing(someone("IU", subject="stranger"), NO_TIES, "filer", accepted=True)
    assert not access.may_see_filing(ANONYMOUS, NO_TIES, "filer", accepted=True)


# Restriction orders ---------------------------------------------------------------------------------


#: "CHAN TAI MAN" as typed with a Chinese input method's full-width letters.
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in "CHAN TAI MAN")


@pytest.mark.parametrize(
    "written", ["CHAN TAI MAN", "Chan, Tai-man", "chan  tai_man.", " Chan Tai-Man ", FULL_WIDTH, "Chán Tài Mán"]
)
def test_case_accents_punctuation_and_spacing_do_not_tell_names_apart(written: str) -> None:
    assert name_key(written) == name_key("Chan Tai Man") == "chan tai man"


def test_different_names_stay_different() -> None:
    assert name_key("Chan Tai Man") != name_key("Chan Tai Ming")
    assert name_key("陳大文") == "陳大文" != name_key("陳小文")


MADE = date(2026, 1, 5)
EXPIRES = date(2026, 12, 31)


@pytest.mark.parametrize(
    ("today", "binds"),
    [(date(2026, 1, 4), False), (MADE, True), (date(2026, 6, 1), True), (EXPIRES, True), (date(2027, 1, 1), False)],
)
def test_an_order_binds_from_the_day_it_is_made_to_the_day_it_expires(today: date, binds: bool) -> None:
    assert in_force(MADE, EXPIRES, [], "DC", today) is binds


def test_an_order_without_expiry_binds_for_good() -> None:
    assert in_force(MADE, None, [], "DC", date(2040, 1, 1))


def test_an_order_binds_only_in_the_courts_it_names_and_in_every_court_if_it_names_none() -> None:
    assert in_force(MADE, None, ["DC", "SCT"], "SCT", MADE)
    assert not in_force(MADE, None, ["DC", "SCT"], "CFI", MADE)
    assert all(in_force(MADE, None, [], court, MADE) for court in ("CFA", "CA", "CFI", "DC", "MC", "SCT"))


# Case numbers ---------------------------------------------------------------------------------------


def test_a_case_number_is_prefix_number_slash_year() -> None:
    assert case_number("DCPI", 1234, 2026) == "DCPI 1234/2026"
    assert case_number("CACV", 1, 2025) == "CACV 1/2025"


# Reference data -------------------------------------------------------------------------------------


def test_every_case_type_with_a_form_names_a_real_form() -> None:
    with_forms = {t.prefix: t.form for t in catalogue().case_types.values() if t.form is not None}
    assert with_forms, "some case types are started from forms"
    assert {prefix: form for prefix, form in with_forms.items() if form not in FORM_IDS} == {}
    assert set(with_forms.values()) == set(FORM_IDS), "every form starts some case type"


def test_every_fee_code_maps_to_a_fee_item_of_its_court() -> None:
    data = catalogue()
    assert set(data.fee_prefixes) == set(data.courts)
    for case_type in data.case_types.values():
        assert case_type.court in data.courts
        if case_type.fee_code:
            assert data.fee_item(case_type.court, case_type.fee_code) == (
                f"{data.fee_prefixes[case_type.court]}.{case_type.fee_code}"
            )
    for document_type in data.document_types.values():
        for court in data.courts:
            item = data.fee_item(court, document_type.fee_code)
            assert (item is None) is (document_type.fee_code is None)
    assert data.fee_item("DC", "WRIT") == "DC.WRIT" and data.fee_item("CFI", "WRIT") == "HC.WRIT"


def test_every_originating_document_type_has_a_fee_and_case_types_with_forms_charge_one() -> None:
    data = catalogue()
    originating = [t for t in data.document_types.values() if t.originating]
    assert originating and all(t.fee_code for t in originating)
    assert all(t.fee_code for t in data.case_types.values() if t.form is not None)


def test_criminal_and_intended_actions_are_closed_to_inspection_and_kept_off_the_cause_book() -> None:
    types = catalogue().case_types
    assert [p for p in ("HCMA", "HCCP", "HCZZ") if types[p].public_inspection] == []
    assert [p for p in ("HCCP", "HCZZ") if types[p].cause_book] == []
    assert types["HCMA"].cause_book
    assert types["DCPI"].public_inspection and types["DCPI"].cause_book


def test_the_case_types_are_those_of_the_domain() -> None:
    types = catalogue().case_types
    expected = {"DCPI", "DCTC", "DCCJ", "DCEC", "ESS", "KCS", "KTS", "WKS", "STS", "FLS", "TMS", "SCTC", "CACV",
                "HCCL", "HCIP", "HCCT", "HCPI", "HCA", "HCAP", "CAMP", "HCMA", "HCCP", "HCZZ"}  # fmt: skip
    assert set(types) == expected
    assert {t.court for t in types.values()} <= set(catalogue().courts)
