"""The documents the registry generates from a template rather than uploads: a notice of hearing and an
order (DOMAIN.md section 6). Laid out like the originating documents (``originating_pdf``): the case
number at the top right, the court heading, the action number, the parties, the title, the body.

The page leaves the top right of page 1 clear of text below the case number for the DRN stamp. Output
is the same bytes for the same input (reportlab's invariant mode).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from chassis.pdf_fonts import markup, register_fonts
from filing.adapters.originating_pdf import AUTHOR, action_line, court_heading
from filing.domain.forms import court_date

_SERIF, _SERIF_BOLD = "Times-Roman", "Times-Bold"
_ROLES = {"plaintiff": "Plaintiff", "defendant": "Defendant", "appellant": "Appellant", "respondent": "Respondent"}


@dataclass(frozen=True)
class PartyLine:
    name: str
    name_zh: str | None
    role: str


@dataclass(frozen=True)
class CaseHeading:
    """What the heading of any document in a case prints."""

    case_number: str
    court_name: str
    form_id: str | None
    parties: tuple[PartyLine, ...]


@dataclass(frozen=True)
class Hearing:
    at_local: datetime
    courtroom: str
    hearing_type: str
    notes: str | None


@dataclass(frozen=True)
class Order:
    text: str
    judge: str | None
    made_on: date


def notice_of_hearing(heading: CaseHeading, hearing: Hearing, issued_on: date) -> bytes:
    """A notice telling the parties when and where the case will be heard."""
    when = f"{hearing.at_local:%H:%M} on {court_date(hearing.at_local.date())}"
    body = [
        _para(
            f"TAKE NOTICE that the above case is set down for {hearing.hearing_type} before the "
            f"{heading.court_name} in {hearing.courtroom} at {when} (Hong Kong time)."
        ),
        _para("The parties, or their legal representatives, are to attend at that time and place."),
    ]
    if hearing.notes:
        body.append(_para(hearing.notes))
    body.append(_para(f"Dated {court_date(issued_on)}."))
    body.append(_signature("Registrar"))
    return _render(heading, "NOTICE OF HEARING", body)


def order(heading: CaseHeading, made: Order) -> bytes:
    """An order of the court in the case, as the judge made it."""
    before = f"BEFORE {made.judge.upper()} IN COURT" if made.judge else "IN COURT"
    body: list[Flowable] = [
        Paragraph(markup(before), _STYLES["centre"]),
        Paragraph(markup(f"ORDER made on {court_date(made.made_on)}"), _STYLES["centre"]),
        Spacer(1, 4 * mm),
        _para("UPON hearing the parties, IT IS ORDERED that:"),
        *(_para(block) for block in made.text.replace("\r\n", "\n").split("\n\n") if block.strip()),
        _signature("Registrar"),
    ]
    return _render(heading, "ORDER", body)


def _render(heading: CaseHeading, title: str, body: list[Flowable]) -> bytes:
    register_fonts()
    story: list[Flowable] = [
        Paragraph(markup(heading.case_number), _STYLES["case_number"]),
        # The DRN stamp goes at the top right; the heading starts below it.
        Spacer(1, 12 * mm),
        *(Paragraph(markup(line), _STYLES["heading"]) for line in court_heading(heading.court_name)),
    ]
    if heading.form_id:
        story.append(Paragraph(markup(action_line(heading.form_id, heading.case_number)), _STYLES["heading"]))
    story += [
        Spacer(1, 6 * mm),
        _parties(heading.parties),
        Spacer(1, 8 * mm),
        Paragraph(markup(title), _STYLES["title"]),
        Spacer(1, 4 * mm),
        *body,
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=28 * mm,
        bottomMargin=22 * mm,
        title=f"{title.title()} - {heading.case_number}",
        author=AUTHOR,
        creator=AUTHOR,
        invariant=1,
    ).build(story)
    return buffer.getvalue()


def _parties(parties: tuple[PartyLine, ...]) -> Table:
    rows: list[list[Flowable | str]] = [[Paragraph("BETWEEN", _STYLES["bold"]), ""]]
    for index, (role, side) in enumerate(groupby(parties, key=lambda party: party.role)):
        if index:
            rows.append([Paragraph("and", _STYLES["centre"]), ""])
        for party in side:
            name = markup(party.name) + (f"<br/>{markup(party.name_zh)}" if party.name_zh else "")
            label = _ROLES.get(role, role.title())
            rows.append([Paragraph(name, _STYLES["party"]), Paragraph(label, _STYLES["role"])])
    table = Table(rows, colWidths=[115 * mm, 45 * mm])
    spans = [("SPAN", (0, row), (1, row)) for row, cells in enumerate(rows) if cells[1] == ""]
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 5), *spans]))
    return table


def _para(text: str) -> Paragraph:
    return Paragraph(markup(text), _STYLES["body"])


def _signature(office: str) -> Paragraph:
    return Paragraph(markup(f"({office})"), _STYLES["signature"])


_BASE = ParagraphStyle("base", fontName=_SERIF, fontSize=11, leading=15)
_STYLES = {
    "body": ParagraphStyle("body", parent=_BASE, alignment=TA_JUSTIFY, spaceAfter=6),
    "bold": ParagraphStyle("bold", parent=_BASE, fontName=_SERIF_BOLD),
    "centre": ParagraphStyle("centre", parent=_BASE, alignment=TA_CENTER),
    "party": ParagraphStyle("party", parent=_BASE, fontName=_SERIF_BOLD, leftIndent=10 * mm),
    "role": ParagraphStyle("role", parent=_BASE, alignment=TA_RIGHT),
    "case_number": ParagraphStyle("case_number", parent=_BASE, fontName=_SERIF_BOLD, alignment=TA_RIGHT),
    "heading": ParagraphStyle("heading", parent=_BASE, fontName=_SERIF_BOLD, fontSize=12, alignment=TA_CENTER),
    "title": ParagraphStyle("title", parent=_BASE, fontName=_SERIF_BOLD, fontSize=14, leading=18, alignment=TA_CENTER),
    "signature": ParagraphStyle("signature", parent=_BASE, alignment=TA_RIGHT, spaceBefore=12 * mm),
}
