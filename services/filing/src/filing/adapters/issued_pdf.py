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

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from chassis.pdf_fonts import markup, register_fonts
from filing.adapters.originating_pdf import AUTHOR, STYLES, action_line, court_heading, parties_table
from filing.domain.forms import court_date


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
        Paragraph(markup(before), STYLES["centre"]),
        Paragraph(markup(f"ORDER made on {court_date(made.made_on)}"), STYLES["centre"]),
        Spacer(1, 4 * mm),
        _para("UPON hearing the parties, IT IS ORDERED that:"),
        *(_para(block) for block in made.text.replace("\r\n", "\n").split("\n\n") if block.strip()),
        _signature("Registrar"),
    ]
    return _render(heading, "ORDER", body)


def _render(heading: CaseHeading, title: str, body: list[Flowable]) -> bytes:
    register_fonts()
    story: list[Flowable] = [
        Paragraph(markup(heading.case_number), STYLES["case_number"]),
        # The DRN stamp goes at the top right; the heading starts below it.
        Spacer(1, 12 * mm),
        *(Paragraph(markup(line), STYLES["heading"]) for line in court_heading(heading.court_name)),
    ]
    if heading.form_id:
        story.append(Paragraph(markup(action_line(heading.form_id, heading.case_number)), STYLES["heading"]))
    story += [
        Spacer(1, 6 * mm),
        parties_table(heading.parties),
        Spacer(1, 8 * mm),
        Paragraph(markup(title), STYLES["title"]),
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


def _para(text: str) -> Paragraph:
    return Paragraph(markup(text), STYLES["body"])


def _signature(office: str) -> Paragraph:
    return Paragraph(markup(f"({office})"), STYLES["signature"])
