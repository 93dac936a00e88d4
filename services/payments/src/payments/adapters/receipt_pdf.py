"""The PDF of a receipt for a payment or a refund: what the payer keeps as proof, and what goes to the
payer's inbox.

The Judiciary heading in English and Chinese, the receipt's number and kind, when it was issued and
(for a payment) when the payment is deemed made, both in Hong Kong time, who paid and how, the lines
paid for and the total in HK$ with cents. Chinese text (the heading, the court's name, descriptions)
is set in the MSung-Light CID font of ``chassis.pdf_fonts``.

Output is byte-for-byte the same for the same input (reportlab's invariant mode), so the stored
PDF's SHA-256 can be recomputed and a second rendering after a crash stores the same object.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import BaseDocTemplate

from chassis.money import hkd
from chassis.pdf_fonts import markup, register_fonts

AUTHOR = "Judiciary iCMS"
PAYMENT, REFUND = "payment", "refund"
_TITLES = {PAYMENT: ("OFFICIAL RECEIPT", "正式收據"), REFUND: ("REFUND RECEIPT", "退款收據")}
_SERIF, _SERIF_BOLD = "Times-Roman", "Times-Bold"


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    quantity: int
    unit_cents: int
    amount_cents: int
    code: str = ""


@dataclass(frozen=True)
class ReceiptDocument:
    """Everything printed on a receipt, already in words: the renderer looks nothing up."""

    number: str
    kind: str
    issued_at: datetime
    #: For a payment: the first instant the registry is open at or after it was made.
    deemed_paid_at: datetime | None
    #: The court whose fees were paid, e.g. ("District Court", "區域法院"); None for a deposit account.
    court: tuple[str, str] | None
    payer: str
    #: How the money was paid (or, for a refund, where it went back to), e.g. "Visa card".
    method: str
    description: str
    lines: Sequence[ReceiptLine]
    amount_cents: int
    #: What was paid for, e.g. ("Payment order", "<order id>") or ("Deposit account", "DA000042").
    reference: tuple[str, str]


def hong_kong_time(at: datetime, zone: tzinfo) -> str:
    """``23 November 2026 10:00 (Hong Kong time)``."""
    local = at.astimezone(zone)
    return f"{local.day} {local:%B %Y %H:%M} (Hong Kong time)"


def render_receipt(receipt: ReceiptDocument, zone: tzinfo) -> bytes:
    """``receipt`` as a one-page A4 PDF (more pages only for an order of very many lines); times in ``zone``."""
    register_fonts()
    title, title_zh = _TITLES[receipt.kind]
    refund = receipt.kind == REFUND
    story: list[Flowable] = [
        Paragraph(markup("THE JUDICIARY OF THE HONG KONG SPECIAL ADMINISTRATIVE REGION"), _STYLES["heading"]),
        Paragraph(markup("香港特別行政區司法機構"), _STYLES["heading"]),
    ]
    if receipt.court is not None:
        story.append(Paragraph(markup(f"{receipt.court[0].upper()}  {receipt.court[1]}"), _STYLES["heading"]))
    story += [
        Spacer(1, 6 * mm),
        Paragraph(markup(f"{title}  {title_zh}"), _STYLES["title"]),
        Spacer(1, 2 * mm),
        Paragraph(markup(f"No. {receipt.number}"), _STYLES["number"]),
        Spacer(1, 6 * mm),
        _particulars(receipt, zone, refund),
        Spacer(1, 6 * mm),
        _lines_table(receipt, refund),
        Spacer(1, 8 * mm),
        Paragraph(
            markup(
                "This receipt was issued electronically by the Judiciary's integrated court case management "
                "system and needs no signature."
                + (" The amount above was returned by the method shown." if refund else "")
            ),
            _STYLES["note"],
        ),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        title=f"{title.title()} {receipt.number}",
        subject=receipt.description,
        author=AUTHOR,
        creator=AUTHOR,
        keywords=[receipt.number, receipt.kind],
        lang="en-HK",
        invariant=1,
    )
    footer = _footer(f"{title.title()} {receipt.number}")
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _particulars(receipt: ReceiptDocument, zone: tzinfo, refund: bool) -> Table:
    rows = [
        ("Refunded on" if refund else "Date of payment", hong_kong_time(receipt.issued_at, zone)),
    ]
    if receipt.deemed_paid_at is not None:
        rows.append(("Deemed paid at", hong_kong_time(receipt.deemed_paid_at, zone)))
    rows += [
        ("Payer", receipt.payer),
        ("Refunded to" if refund else "Payment method", receipt.method),
        receipt.reference,
        ("For", receipt.description),
    ]
    cells = [
        [Paragraph(markup(label), _STYLES["label"]), Paragraph(markup(value), _STYLES["cell"])] for label, value in rows
    ]
    table = Table(cells, colWidths=[42 * mm, 124 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    return table


def _lines_table(receipt: ReceiptDocument, refund: bool) -> Table:
    header = ["Item", "Qty", "Unit fee", "Amount"]
    rows: list[list[Flowable | str]] = [[Paragraph(h, _STYLES["head_cell"]) for h in header]]
    for line in receipt.lines:
        item = f"{line.code}  {line.description}" if line.code else line.description
        rows.append(
            [
                Paragraph(markup(item), _STYLES["cell"]),
                Paragraph(str(line.quantity), _STYLES["number_cell"]),
                Paragraph(hkd(line.unit_cents), _STYLES["number_cell"]),
                Paragraph(hkd(line.amount_cents), _STYLES["number_cell"]),
            ]
        )
    total = "TOTAL REFUNDED" if refund else "TOTAL PAID"
    rows.append(
        [
            Paragraph(total, _STYLES["head_cell"]),
            "",
            "",
            Paragraph(hkd(receipt.amount_cents), _STYLES["total_cell"]),
        ]
    )
    table = Table(rows, colWidths=[96 * mm, 14 * mm, 28 * mm, 28 * mm], repeatRows=1)
    last = len(rows) - 1
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, last), (-1, last), 0.8, colors.black),
                ("SPAN", (0, last), (2, last)),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _footer(text: str) -> Callable[[Canvas, BaseDocTemplate], None]:
    def draw(canvas: Canvas, document: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(_SERIF, 8)
        canvas.drawString(document.leftMargin, 12 * mm, text)
        canvas.drawRightString(A4[0] - document.rightMargin, 12 * mm, f"Page {canvas.getPageNumber()}")
        canvas.restoreState()

    return draw


_BASE = ParagraphStyle("base", fontName=_SERIF, fontSize=10.5, leading=14)
_STYLES = {
    "heading": ParagraphStyle("heading", parent=_BASE, fontName=_SERIF_BOLD, fontSize=12, alignment=TA_CENTER),
    "title": ParagraphStyle("title", parent=_BASE, fontName=_SERIF_BOLD, fontSize=16, leading=20, alignment=TA_CENTER),
    "number": ParagraphStyle("number", parent=_BASE, fontName=_SERIF_BOLD, fontSize=12, alignment=TA_CENTER),
    "label": ParagraphStyle("label", parent=_BASE, fontName=_SERIF_BOLD),
    "cell": ParagraphStyle("cell", parent=_BASE),
    "head_cell": ParagraphStyle("head_cell", parent=_BASE, fontName=_SERIF_BOLD),
    "number_cell": ParagraphStyle("number_cell", parent=_BASE, alignment=TA_RIGHT),
    "total_cell": ParagraphStyle("total_cell", parent=_BASE, fontName=_SERIF_BOLD, alignment=TA_RIGHT),
    "note": ParagraphStyle("note", parent=_BASE, fontSize=9, leading=12, textColor=colors.HexColor("#333333")),
}
