"""Search's pure rules: case numbers, names, visibility data, queries, cursors, snippets."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from search_testkit import fullwidth

from search.domain.case_numbers import CaseNumber, find_case_numbers, parse_case_number
from search.domain.case_types import CaseTypeRules, shipped_rules
from search.domain.names import (
    compact,
    has_cjk,
    normalise_name,
    padded_for_trigram_index,
    strict_word_similarity,
    trigrams,
)
from search.domain.queries import (
    CaseCursor,
    CauseBookQuery,
    DocumentCursor,
    DocumentQuery,
    InvalidQuery,
    MyCasesQuery,
    hong_kong_day_range,
    words,
)
from search.domain.snippets import START, STOP, clean_text, render

WHOLE = CaseNumber("DCPI", 1234, 2026)


@pytest.mark.parametrize(
    "text",
    [
        "DCPI 1234/2026",
        "dcpi 1234/2026",
        "DCPI1234/2026",
        "DCPI 1234 / 2026",
        "  Dcpi   1234 /2026 ",
        fullwidth("DCPI 1234/2026"),
        "dcpi" + fullwidth("1234/") + "2026",
        "DCPI 01234/2026",
        "DCPI No. 1234/2026",
        "DCPI 1234 of 2026",
        "DCPI-1234-2026".replace("-2026", "/2026"),
    ],
)
def test_forgiving_case_numbers(text: str) -> None:
    assert parse_case_number(text) == WHOLE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HCA 5/2026", CaseNumber("HCA", 5, 2026)),
        ("hca5/2026", CaseNumber("HCA", 5, 2026)),
        ("DCPI", CaseNumber("DCPI")),
        ("dcpi /2026", CaseNumber("DCPI", None, 2026)),
        ("DCPI 1234", CaseNumber("DCPI", 1234)),
        ("1234/2026", CaseNumber(None, 1234, 2026)),
        ("/2026", CaseNumber(None, None, 2026)),
    ],
)
def test_partial_case_numbers(text: str, expected: CaseNumber) -> None:
    assert parse_case_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "1234",
        "DCPI 0/2026",
        "DCPI 1/0026",
        "DCPI 12/26",
        "DC PI 1/2026",
        "Chan Tai Man",
        "%",
        "DCPI 1/2026/3",
    ],
)
def test_not_case_numbers(text: str) -> None:
    assert parse_case_number(text) is None


def test_case_numbers_print_as_the_court_writes_them() -> None:
    assert str(WHOLE) == "DCPI 1234/2026"
    assert str(CaseNumber("DCPI", None, 2026)) == "DCPI /2026"
    assert WHOLE.is_whole and not CaseNumber("DCPI").is_whole


def test_case_numbers_found_in_free_text_only_for_known_case_types() -> None:
    found, rest = find_case_numbers("negligence in dcpi 1234/2026 and HCA 5 / 2026, not XYZ 1/2026", {"DCPI", "HCA"})
    assert found == [WHOLE, CaseNumber("HCA", 5, 2026)]
    assert rest == "NEGLIGENCE IN AND , NOT XYZ 1/2026"
    assert find_case_numbers("plain words", {"DCPI"}) == ([], "PLAIN WORDS")


@given(st.text(max_size=60))
def test_parsing_never_fails_on_any_text(text: str) -> None:
    parsed = parse_case_number(text)
    if parsed is not None:
        assert parse_case_number(str(parsed)) == parsed


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("CHAN Tai Man", "chan tai man"),
        ("Chan, Tai-man", "chan tai man"),
        ("  CHAN   tai  MAN  ", "chan tai man"),
        ("Chàn Tái Mân", "chan tai man"),
        (fullwidth("CHAN TAI MAN"), "chan tai man"),
        ("O'Brien & Sons Ltd.", "obrien sons ltd"),
        ("Straße GmbH", "strasse gmbh"),
        ("陳大文", "陳大文"),
        ("陳 大文 (CHAN Tai Man)", "陳 大文 chan tai man"),
        ("%_\\", ""),
    ],
)
def test_names_normalise(raw: str, normal: str) -> None:
    assert normalise_name(raw) == normal


@given(st.text(max_size=80))
def test_normal_names_hold_only_letters_digits_and_single_spaces(raw: str) -> None:
    normal = normalise_name(raw)
    assert normal == normal.strip()
    assert "  " not in normal
    assert all(ch.isalnum() or ch == " " for ch in normal)
    assert normalise_name(normal) == normal


def test_chinese_is_recognised_and_compacted() -> None:
    assert has_cjk("陳大文") and has_cjk("CHAN 大文") and not has_cjk("Chan Tai Man")
    assert compact("陳 大文") == "陳大文"


def test_trigrams_are_pg_trgm_trigrams() -> None:
    # SELECT show_trgm('chan tai man') on PostgreSQL 15.
    assert trigrams("chan tai man") == {
        "  c", "  m", "  t", " ch", " ma", " ta", "ai ", "an ", "cha", "han", "man", "tai",
    }  # fmt: skip
    padded = padded_for_trigram_index("chan tai man")
    assert all(gram in padded for gram in trigrams("chan tai man"))


def test_similarity_matches_pg_trgm() -> None:
    # Values from PostgreSQL 15's strict_word_similarity.
    assert strict_word_similarity("chan tai mann", "chan tai man") == pytest.approx(0.85714287)
    assert strict_word_similarity("chan tai man", "chan tai ming") == pytest.approx(0.75)
    assert strict_word_similarity("tam", "taam") == pytest.approx(0.5)
    assert strict_word_similarity("chan", "wing fat construction company limited") == pytest.approx(0.083333336)
    assert strict_word_similarity("tai man chan", "chan tai man") == 1.0
    assert strict_word_similarity("wong", "chan tai man wong siu") == 1.0
    assert strict_word_similarity("lee ka", "lee kam ka ho") == pytest.approx(0.7777778)
    assert strict_word_similarity("", "chan") == 0.0


def test_shipped_rules_leave_out_what_domain_section_9_says() -> None:
    rules = shipped_rules()
    assert not rules.in_cause_book("HCCP") and not rules.in_cause_book("HCZZ")
    assert rules.in_cause_book("HCMA") and rules.in_cause_book("DCPI")
    for prefix in ("HCMA", "HCCP", "HCZZ"):
        assert not rules.documents_may_be_public(prefix)
    assert rules.documents_may_be_public("DCPI")
    assert not rules.in_cause_book("XYZ") and not rules.documents_may_be_public("XYZ")  # unknown: closed


def test_rules_are_data() -> None:
    rules = CaseTypeRules.from_json(
        {
            "courts": {"DC": "District Court"},
            "case_types": [{"prefix": "DCPI", "court": "DC", "cause_book": False, "public_documents": True}],
        }
    )
    assert rules.prefixes == {"DCPI"} and not rules.in_cause_book("DCPI")


def test_cause_book_query_normalises_and_validates() -> None:
    query = CauseBookQuery(case_number="dcpi 1234 / 2026", party="Chan, Tai-Mann", court=" dc ", case_type="dcpi")
    assert query.number == WHOLE
    assert query.party_name == "chan tai mann"
    assert (query.court, query.case_type) == ("DC", "DCPI")
    assert CauseBookQuery(case_number="  ", party=" ").number is None
    with pytest.raises(InvalidQuery) as caught:
        CauseBookQuery(
            case_number="what?",
            party="!!!",
            limit=0,
            year=20,
            filed_from=date(2026, 2, 1),
            filed_to=date(2026, 1, 1),
            cursor="x",
        )
    assert set(caught.value.errors) == {"case_number", "party", "limit", "year", "filed_to", "cursor"}
    with pytest.raises(InvalidQuery):
        CauseBookQuery(limit=101)
    with pytest.raises(InvalidQuery):
        CauseBookQuery(party="x" * 201)
    with pytest.raises(InvalidQuery):
        MyCasesQuery("")


def test_filing_dates_are_hong_kong_days() -> None:
    lower, upper = hong_kong_day_range(date(2026, 3, 2), date(2026, 3, 2))
    assert lower == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert upper == datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


def test_document_query_words_cannot_carry_query_syntax() -> None:
    assert words('"negligent" AND (crane*) OR -NOT:x') == ["negligent", "and", "crane", "or", "not", "x"]
    assert DocumentQuery(text="  ").text is None
    with pytest.raises(InvalidQuery):
        DocumentQuery(date_from=date(2026, 2, 1), date_to=date(2026, 1, 1))


def test_cursors_round_trip_and_refuse_anything_else() -> None:
    cursor = CaseCursor(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), "abc")
    assert CaseCursor.decode(cursor.encode()) == cursor
    document = DocumentCursor(1, 0, 0.0607927, date(2026, 5, 1), "d1")
    assert DocumentCursor.decode(document.encode()) == document
    for bad in ["", "x", document.encode(), "W10", "WyJjIiwxLDJd", "!!!!", "a" * 500]:
        with pytest.raises(InvalidQuery):
            CaseCursor.decode(bad)
    with pytest.raises(InvalidQuery):
        DocumentCursor.decode(cursor.encode())


@given(st.text(max_size=100))
def test_any_cursor_text_is_a_cursor_or_an_invalid_query(text: str) -> None:
    for kind in (CaseCursor, DocumentCursor):
        with contextlib.suppress(InvalidQuery):
            kind.decode(text)


def test_snippets_escape_everything_but_the_marks() -> None:
    assert render(f"a <b> {START}negligent{STOP} & 'c'") == "a &lt;b&gt; <mark>negligent</mark> &amp; &#x27;c&#x27;"
    assert render(f"{START}open") == "<mark>open</mark>"
    assert clean_text(f"x{START}y{STOP}z\x00") == "x y z "


@given(st.text(max_size=100))
def test_rendered_snippets_never_hold_markup_of_their_own(text: str) -> None:
    out = render(clean_text(text))
    assert "<" not in out and ">" not in out
