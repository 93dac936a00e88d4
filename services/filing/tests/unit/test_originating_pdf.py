"""The PDF of an originating document, read back as a registry officer or a PDF reader would."""

from __future__ import annotations

import io
from datetime import date, datetime

import form_examples as examples
import pytest
from pypdf import PdfReader

from filing.adapters.originating_pdf import AUTHOR, action_line, court_heading, render_originating
from filing.domain.forms import FORM_IDS, Originating, read_originating

CASES = {
    "writ_dcpi": ("DCPI 1234/2026", "District Court", "PERSONAL INJURIES ACTION NO. 1234 OF 2026"),
    "writ_dccj": ("DCCJ 77/2026", "District Court", "CIVIL ACTION NO. 77 OF 2026"),
    "writ_hca": ("HCA 501/2026", "Court of First Instance of the High Court", "ACTION NO. 501 OF 2026"),
    "writ_hcpi": ("HCPI 9/2026", "Court of First Instance of the High Court", "PERSONAL INJURIES ACTION NO. 9 OF 2026"),
    "writ_hccl": ("HCCL 12/2026", "Court of First Instance of the High Court", "COMMERCIAL ACTION NO. 12 OF 2026"),
    "notice_of_appeal_cacv": ("CACV 248/2026", "Court of Appeal of the High Court", "CIVIL APPEAL NO. 248 OF 2026"),
    "sct_bulk_claims": ("SCTC 5/2026", "Small Claims Tribunal", "CLAIM NO. 5 OF 2026"),
}
ISSUED = date(2026, 11, 23)


def originating(form_id: str, data: dict | None = None) -> Originating:
    return read_originating(form_id, data or examples.BUILDERS[form_id]())[0]


def render(case: Originating, **overrides: object) -> bytes:
    case_number, court_name, _ = CASES[case.form_id]
    arguments: dict = {
        "case_number": case_number,
        "court_name": court_name,
        "issued_on_local": ISSUED,
        "filer_name": "Lee & Partners",
    }
    return render_originating(case, **{**arguments, **overrides})


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_each_form_renders_a_searchable_pdf_with_its_case_number_parties_and_title(form_id: str) -> None:
    case = originating(form_id)
    pdf = render(case)
    reader = PdfReader(io.BytesIO(pdf))
    text = text_of(pdf)
    case_number, _, action = CASES[form_id]
    assert pdf.startswith(b"%PDF-") and len(reader.pages) >= 1 and not reader.is_encrypted
    assert case_number in text and action in text and case.document_title.upper() in text
    assert "HONG KONG SPECIAL ADMINISTRATIVE REGION" in text
    for party in case.parties:
        assert party.name in text
    assert "Dated 23 November 2026." in text and "Lee & Partners" in text
    assert reader.metadata.title == f"{case.document_title} - {case_number}"
    assert reader.metadata.author == AUTHOR and reader.metadata.subject == case.title
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.01)  # A4


def test_a_writ_sets_out_the_claim_the_remedies_and_the_amount() -> None:
    text = text_of(render(originating("writ_dccj")))
    assert "WRIT OF SUMMONS" in text and "INDORSEMENT OF CLAIM" in text
    assert "Registry of the District Court" in text
    assert "Amount claimed: HK$850,000.00" in text
    assert "(1)" in text and "Costs" in text and "AND THE PLAINTIFF CLAIMS:" in text


def test_a_personal_injuries_writ_gives_the_accident_and_says_when_damages_are_to_be_assessed() -> None:
    text = text_of(render(originating("writ_hcpi")))
    assert "Date of injury: 2 January 2026" in text and "Nathan Road near Jordan Road" in text
    assert "Amount claimed: Damages to be assessed" in text
    assert "IN THE HIGH COURT OF THE" in text and "COURT OF FIRST INSTANCE" in text


def test_a_commercial_writ_names_its_commercial_list_category() -> None:
    assert "Commercial List category: Banking and financial services" in text_of(render(originating("writ_hccl")))


def test_a_notice_of_appeal_gives_the_decision_the_relief_and_each_ground() -> None:
    data = examples.notice_of_appeal_cacv()
    data["decision_appealed_from"] |= {"decision_type": "interlocutory", "leave_granted_on": "2026-03-02"}
    text = text_of(render(originating("notice_of_appeal_cacv", data)))
    assert "(ON APPEAL FROM HCA 123/2025)" in text and "COURT OF APPEAL" in text
    assert "interlocutory decision" in text and "Leave to appeal was granted on 2 March 2026." in text
    assert "grounds of this appeal are:" in text and "(2)" in text
    assert "Appellant" in text and "Respondent" in text


def test_each_bulk_claim_renders_as_a_claim_of_its_own() -> None:
    cases = read_originating("sct_bulk_claims", examples.sct_bulk_claims(2))
    second = text_of(render(cases[1]))
    assert "DEFENDANT 2" in second and "DEFENDANT 1" not in second
    assert "HK$1,000.02" in second and "ACC-00002" in second and "PARTICULARS OF CLAIM" in second


def test_chinese_names_are_printed_in_the_traditional_chinese_cid_font() -> None:
    pdf = render(originating("writ_dcpi"))
    text = text_of(pdf)
    assert "陳大文" in text and "榮發建築有限公司" in text
    assert b"/BaseFont /MSung-Light" in pdf and b"/Encoding /UniCNS-UCS2-H" in pdf
    assert b"UniGB" not in pdf  # the simplified-Chinese CMap would leave readers with no glyphs


def test_a_form_written_in_chinese_prints_its_chinese_text() -> None:
    data = examples.writ_hca()
    data["language"] = "zh"
    data["indorsement_of_claim"] = "原告人的申索是要求被告人償還於二零二五年六月一日借出的港幣五百萬元貸款。"
    assert "償還於二零二五年六月一日" in text_of(render(originating("writ_hca", data)))


def test_markup_typed_by_a_filer_is_printed_not_obeyed() -> None:
    data = examples.writ_hca(plaintiff="<b>x</b> & Co")
    data["indorsement_of_claim"] = 'The sum of <font size="40">HK$1</font> &amp; <br/> interest <b>x</b>.'
    pdf = render(originating("writ_hca", data), filer_name="<i>Lee</i> & Partners")
    text = text_of(pdf)
    assert "<b>x</b> & Co" in text and "<i>Lee</i> & Partners" in text
    assert '<font size="40">HK$1</font> &amp; <br/> interest <b>x</b>.' in text


def test_identity_card_numbers_stay_off_a_document_the_public_may_inspect() -> None:
    text = text_of(render(originating("writ_dcpi")))
    assert "A123456(7)" not in text and "12345678" not in text


def test_a_long_claim_runs_over_several_numbered_pages() -> None:
    data = examples.writ_hca()
    data["indorsement_of_claim"] = "\n\n".join(f"{n}. " + "The Defendant failed to repay. " * 50 for n in range(1, 12))
    data["defendants"] = [examples.party(f"DEFENDANT NUMBER {n}") for n in range(1, 21)]
    pdf = render(originating("writ_hca", data))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 4
    last = reader.pages[-1].extract_text()
    assert f"Page {len(reader.pages)}" in last and "HCA 501/2026" in last
    text = text_of(pdf)
    assert "1st Defendant" in text and "11th Defendant" in text and "20th Defendant" in text
    assert "11. The Defendant failed to repay." in text


def test_one_unbroken_20000_character_word_still_fits_the_page() -> None:
    data = examples.writ_hca()
    data["indorsement_of_claim"] = "x" * 20_000
    assert len(PdfReader(io.BytesIO(render(originating("writ_hca", data)))).pages) >= 2


def test_the_same_input_renders_the_same_bytes() -> None:
    case = originating("writ_dcpi")
    assert render(case) == render(case)


def test_the_issue_date_may_be_given_with_its_time() -> None:
    case = originating("writ_dccj")
    assert render(case, issued_on_local=datetime(2026, 11, 23, 17, 45)) == render(case)


@pytest.mark.parametrize(("court_name", "lines"), [
    ("District Court", ["IN THE DISTRICT COURT OF THE", "HONG KONG SPECIAL ADMINISTRATIVE REGION"]),
    ("Small Claims Tribunal", ["IN THE SMALL CLAIMS TRIBUNAL OF THE", "HONG KONG SPECIAL ADMINISTRATIVE REGION"]),
    ("Court of First Instance", ["IN THE HIGH COURT OF THE", "HONG KONG SPECIAL ADMINISTRATIVE REGION",
                                 "COURT OF FIRST INSTANCE"]),
    ("Court of Appeal of the High Court", ["IN THE HIGH COURT OF THE", "HONG KONG SPECIAL ADMINISTRATIVE REGION",
                                           "COURT OF APPEAL"]),
])  # fmt: skip
def test_the_heading_names_the_court_as_its_documents_do(court_name: str, lines: list[str]) -> None:
    assert court_heading(court_name) == lines


def test_a_case_number_of_another_shape_is_printed_as_it_is() -> None:
    assert action_line("writ_hca", "HCA 7/2026") == "ACTION NO. 7 OF 2026"
    assert action_line("writ_hca", "HCA-TEST") == "ACTION NO. HCA-TEST"
