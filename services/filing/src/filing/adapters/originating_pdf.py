"""The PDF of an originating document (writ of summons, notice of appeal, claim), rendered from the
structured form the filer completed (DOMAIN.md section 4).

Layout follows the court's printed forms: the case number at the top right, the court heading, the
action number, the parties with their descriptions, the document's title, the standard wording of
that document and what the filer wrote, then the date and who filed it. The fixed wording is English;
the filer's own text is printed as typed, Chinese in the MSung-Light CID font every PDF reader has.
Identity card and business registration numbers are kept off the page: originating process is open
to public inspection.

Output is byte-for-byte the same for the same input (reportlab's invariant mode), so a document's
SHA-256 can be recomputed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from itertools import groupby
from typing import Protocol
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import BaseDocTemplate

from chassis.money import hkd
from chassis.pdf_fonts import markup, register_fonts
from filing.domain.forms import Originating, Party, choice_label, court_date

AUTHOR = "Judiciary iCMS"
_SERIF, _SERIF_BOLD = "Times-Roman", "Times-Bold"
_REGION = "HONG KONG SPECIAL ADMINISTRATIVE REGION"
_HIGH_COURT_LEVELS = ("Court of First Instance", "Court of Appeal")
_CASE_NUMBER = re.compile(r"^([A-Z]+) ([1-9][0-9]*)/([0-9]{4})$")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_ACTION_LABELS = {
    "writ_dcpi": "PERSONAL INJURIES ACTION",
    "writ_dccj": "CIVIL ACTION",
    "writ_hca": "ACTION",
    "writ_hcpi": "PERSONAL INJURIES ACTION",
    "writ_hccl": "COMMERCIAL ACTION",
    "notice_of_appeal_cacv": "CIVIL APPEAL",
    "sct_bulk_claims": "CLAIM",
}
_ROLE_NAMES = {
    "plaintiff": "Plaintiff",
    "defendant": "Defendant",
    "appellant": "Appellant",
    "respondent": "Respondent",
    "claimant": "Claimant",
}


def render_originating(
    originating: Originating,
    *,
    case_number: str,
    court_name: str,
    issued_on_local: datetime | date,
    filer_name: str,
) -> bytes:
    """The originating document of ``originating`` as a PDF (A4, text-searchable).

    ``court_name`` as the case types name it ("District Court", "Court of First Instance of the High
    Court", ...); ``issued_on_local`` is the Hong Kong date (or date and time) of issue, printed as a date.
    """
    register_fonts()
    issued = issued_on_local.date() if isinstance(issued_on_local, datetime) else issued_on_local
    body = _BODIES[originating.form_id]
    story: list[Flowable] = [
        Paragraph(markup(case_number), STYLES["case_number"]),
        *(Paragraph(markup(line), STYLES["heading"]) for line in court_heading(court_name)),
        Spacer(1, 4 * mm),
        Paragraph(markup(action_line(originating.form_id, case_number)), STYLES["heading"]),
        *_appeal_origin(originating),
        Spacer(1, 6 * mm),
        parties_table(originating.parties),
        Spacer(1, 8 * mm),
        Paragraph(markup(originating.document_title.upper()), STYLES["title"]),
        Spacer(1, 4 * mm),
        *body(originating, court_name, issued),
        *_addresses(originating.parties),
        *_signature(originating, issued, filer_name),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        title=f"{originating.document_title} - {case_number}",
        subject=originating.title,
        author=AUTHOR,
        creator=AUTHOR,
        keywords=[case_number, originating.document_title],
        lang="zh-HK" if originating.form_data.get("language") == "zh" else "en-HK",
        invariant=1,
    )
    footer = _footer(f"{case_number}  {originating.document_title}")
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def court_heading(court_name: str) -> list[str]:
    """The heading lines of a court's documents, e.g. ["IN THE HIGH COURT OF THE", "HONG KONG SPECIAL
    ADMINISTRATIVE REGION", "COURT OF FIRST INSTANCE"]."""
    level = court_name.strip().removesuffix(" of the High Court")
    if level in _HIGH_COURT_LEVELS:
        return ["IN THE HIGH COURT OF THE", _REGION, level.upper()]
    return [f"IN THE {level.upper()} OF THE", _REGION]


def action_line(form_id: str, case_number: str) -> str:
    """The proceedings' number as the heading writes it: "PERSONAL INJURIES ACTION NO. 1234 OF 2026"."""
    parsed = _CASE_NUMBER.match(case_number)
    number = f"{parsed[2]} OF {parsed[3]}" if parsed else case_number
    return f"{_ACTION_LABELS[form_id]} NO. {number}"


def _appeal_origin(originating: Originating) -> list[Flowable]:
    decision = originating.form_data.get("decision_appealed_from")
    if decision is None:
        return []
    text = f"(ON APPEAL FROM {decision['case_number']})"
    return [Paragraph(markup(text), STYLES["heading"])]


class NamedParty(Protocol):
    name: str
    name_zh: str | None
    role: str


def parties_table(parties: Sequence[NamedParty]) -> Table:
    """The BETWEEN block of a court document: each side's parties, numbered when a side has several."""
    rows: list[list[Flowable | str]] = [[Paragraph("BETWEEN", STYLES["bold"]), ""]]
    for index, (role, side) in enumerate(groupby(parties, key=lambda party: party.role)):
        members = list(side)
        role_name = _ROLE_NAMES.get(role, role.replace("_", " ").title())
        if index:
            rows.append([Paragraph("and", STYLES["centre"]), ""])
        for position, party in enumerate(members, start=1):
            label = role_name if len(members) == 1 else f"{_ordinal(position)} {role_name}"
            name = markup(party.name) + (f"<br/>{markup(party.name_zh)}" if party.name_zh else "")
            rows.append([Paragraph(name, STYLES["party"]), Paragraph(label, STYLES["role"])])
    table = Table(rows, colWidths=[115 * mm, 45 * mm])
    spans = [("SPAN", (0, row), (1, row)) for row, cells in enumerate(rows) if cells[1] == ""]
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 5), *spans]))
    return table


def _writ_body(originating: Originating, court_name: str, issued: date) -> list[Flowable]:
    data = originating.form_data
    plaintiffs = _described(originating.parties, "plaintiff")
    defendants = [party for party in originating.parties if party.role == "defendant"]
    flowables = [
        Paragraph("To: " + "; ".join(markup(_name_and_address(party)) for party in defendants), STYLES["body"]),
        _para(
            f"THIS WRIT OF SUMMONS has been issued against you by the above-named {plaintiffs} in respect of the "
            "claim set out below."
        ),
        _para(
            "Within 14 days after the service of this Writ on you, counting the day of service, you must either "
            f"satisfy the claim or return to the Registry of the {court_name} the Acknowledgement of Service "
            "stating whether you intend to contest these proceedings."
        ),
        _para(
            "If you fail to satisfy the claim or to return the Acknowledgement within the time stated, the "
            f"{plaintiffs} may proceed with the action and judgment may be entered against you without further "
            "notice."
        ),
        _para(f"Issued on {court_date(issued)}."),
        Spacer(1, 4 * mm),
        Paragraph("INDORSEMENT OF CLAIM", STYLES["section"]),
        _labelled("Nature of claim", originating.nature_of_claim),
    ]
    if "commercial_list_category" in data:
        category = choice_label(originating.form_id, "commercial_list_category", data["commercial_list_category"])
        flowables.append(_labelled("Commercial List category", category))
    if "date_of_injury" in data:
        flowables += [
            _labelled("Date of injury", court_date(date.fromisoformat(data["date_of_injury"]))),
            _labelled("Place of accident", data["place_of_accident"]),
            _labelled("Nature of injuries", data["nature_of_injuries"]),
        ]
    flowables += _text(data["indorsement_of_claim"])
    flowables.append(_labelled("Amount claimed", _amount(originating.amount_claimed_cents)))
    flowables.append(_para(f"AND THE {plaintiffs.upper()} {'CLAIM' if plaintiffs.endswith('s') else 'CLAIMS'}:"))
    flowables += _numbered(data["remedies"])
    return flowables


def _appeal_body(originating: Originating, court_name: str, issued: date) -> list[Flowable]:
    data = originating.form_data
    decision = data["decision_appealed_from"]
    court = choice_label(originating.form_id, "decision_appealed_from/court", decision["court"])
    decided = court_date(date.fromisoformat(decision["date_of_decision"]))
    flowables = [
        _para(
            f"TAKE NOTICE that the {court_name} will be moved, as soon as counsel can be heard, by the above-named "
            f"{_described(originating.parties, 'appellant')} on appeal from the {decision['decision_type']} decision "
            f"of {decision['judge']} of the {court} given on {decided} in {decision['case_number']}, for an order as "
            "follows:"
        ),
        *_text(data["relief_sought"]),
    ]
    if "leave_granted_on" in decision:
        leave = court_date(date.fromisoformat(decision["leave_granted_on"]))
        flowables.append(_para(f"Leave to appeal was granted on {leave}."))
    flowables.append(_para("AND FURTHER TAKE NOTICE that the grounds of this appeal are:"))
    flowables += _numbered(data["grounds"])
    return flowables


def _claim_body(originating: Originating, court_name: str, issued: date) -> list[Flowable]:
    claim = originating.form_data["claims"][0]
    flowables = []
    if "claim_reference" in claim:
        flowables.append(_labelled("Claimant's reference", claim["claim_reference"]))
    flowables += [
        _labelled("Nature of claim", originating.nature_of_claim),
        _labelled("Amount claimed", _amount(originating.amount_claimed_cents)),
        _para(
            f"The Claimant claims from the Defendant the sum of {_amount(originating.amount_claimed_cents)} "
            "on the particulars set out below."
        ),
        Paragraph("PARTICULARS OF CLAIM", STYLES["section"]),
        *_text(claim["particulars"]),
    ]
    return flowables


_BODIES: dict[str, Callable[[Originating, str, date], list[Flowable]]] = {
    "writ_dcpi": _writ_body,
    "writ_dccj": _writ_body,
    "writ_hca": _writ_body,
    "writ_hcpi": _writ_body,
    "writ_hccl": _writ_body,
    "notice_of_appeal_cacv": _appeal_body,
    "sct_bulk_claims": _claim_body,
}


def _addresses(parties: tuple[Party, ...]) -> list[Flowable]:
    flowables: list[Flowable] = [Spacer(1, 4 * mm), Paragraph("ADDRESSES OF THE PARTIES", STYLES["section"])]
    for role, side in groupby(parties, key=lambda party: party.role):
        members = list(side)
        for position, party in enumerate(members, start=1):
            label = _ROLE_NAMES[role] if len(members) == 1 else f"{_ordinal(position)} {_ROLE_NAMES[role]}"
            flowables.append(_labelled(label, _name_and_address(party)))
    return flowables


def _signature(originating: Originating, issued: date, filer_name: str) -> list[Flowable]:
    lines = [_para(f"Dated {court_date(issued)}."), _labelled("Filed by", filer_name)]
    reference = originating.form_data.get("solicitor_reference")
    if reference:
        lines.append(_labelled("Reference", reference))
    return [Spacer(1, 6 * mm), KeepTogether(lines)]


def _name_and_address(party: Party) -> str:
    chinese = f" ({party.name_zh})" if party.name_zh else ""
    place = ", ".join([*party.address.lines, *([party.address.district] if party.address.district else [])])
    return f"{party.name}{chinese} of {place}"


def _described(parties: tuple[Party, ...], role: str) -> str:
    count = sum(party.role == role for party in parties)
    return _ROLE_NAMES[role] + ("s" if count > 1 else "")


def _amount(cents: int | None) -> str:
    if cents is None:
        return "Damages to be assessed"
    return hkd(cents)


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _para(fixed_text: str) -> Paragraph:
    """A paragraph of the document's own wording, which may quote what the filer typed."""
    return Paragraph(markup(fixed_text), STYLES["body"])


def _labelled(label: str, value: str) -> Paragraph:
    return Paragraph(f"<b>{escape(label)}:</b> {markup(value)}", STYLES["body"])


def _text(text: str) -> list[Flowable]:
    """Free text as the filer typed it: a paragraph per blank-line-separated block, line breaks kept."""
    blocks = _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n").replace("\r", "\n").strip())
    return [Paragraph(markup(block), STYLES["body"]) for block in blocks if block.strip()]


def _numbered(items: list[str]) -> list[Flowable]:
    return [
        Paragraph(f"({number})&nbsp;&nbsp;{markup(item)}", STYLES["numbered"])
        for number, item in enumerate(items, start=1)
    ]


def _footer(text: str) -> Callable[[Canvas, BaseDocTemplate], None]:
    def draw(canvas: Canvas, document: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(_SERIF, 8)
        canvas.drawString(document.leftMargin, 12 * mm, text)
        canvas.drawRightString(A4[0] - document.rightMargin, 12 * mm, f"Page {canvas.getPageNumber()}")
        canvas.restoreState()

    return draw


_BASE = ParagraphStyle("base", fontName=_SERIF, fontSize=11, leading=15)
STYLES = {
    "body": ParagraphStyle("body", parent=_BASE, alignment=TA_JUSTIFY, spaceAfter=6),
    "bold": ParagraphStyle("bold", parent=_BASE, fontName=_SERIF_BOLD),
    "centre": ParagraphStyle("centre", parent=_BASE, alignment=TA_CENTER),
    "party": ParagraphStyle("party", parent=_BASE, fontName=_SERIF_BOLD, leftIndent=10 * mm),
    "role": ParagraphStyle("role", parent=_BASE, alignment=TA_RIGHT),
    "case_number": ParagraphStyle("case_number", parent=_BASE, fontName=_SERIF_BOLD, alignment=TA_RIGHT),
    "heading": ParagraphStyle("heading", parent=_BASE, fontName=_SERIF_BOLD, fontSize=12, alignment=TA_CENTER),
    "title": ParagraphStyle("title", parent=_BASE, fontName=_SERIF_BOLD, fontSize=14, leading=18, alignment=TA_CENTER),
    "section": ParagraphStyle("section", parent=_BASE, fontName=_SERIF_BOLD, spaceBefore=6, spaceAfter=6),
    "numbered": ParagraphStyle("numbered", parent=_BASE, leftIndent=10 * mm, firstLineIndent=-8 * mm, spaceAfter=4),
    "signature": ParagraphStyle("signature", parent=_BASE, alignment=TA_RIGHT, spaceBefore=12 * mm),
}
