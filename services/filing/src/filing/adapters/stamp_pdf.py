"""The stamp on a court-issued document: its DRN, printed and as a Code 128 barcode, at the top right of
page 1, and for a sealed copy of an originating document the court's seal beside it (DOMAIN.md section 6).

The marks are drawn by reportlab on a one-page overlay the size of page 1 as it is seen (its crop box,
turned by its /Rotate), then merged by pypdf onto that page, turned back into the page's own
coordinates, so the stamp sits at the top right however the page was produced. The other pages are
copied as they are. Files go from a temporary file to a temporary file: pypdf holds the document's
objects while it writes, nothing more is read into memory.

The same document and DRN always give the same bytes (reportlab's invariant mode, no timestamps), so a
stamped copy can be made again and compared.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import NameObject, RectangleObject
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from chassis.pdf_fonts import CHINESE_FONT, register_fonts
from filing.domain.drn import printed
from filing.domain.forms import court_date

MARGIN = 6 * mm
_FONT, _FONT_BOLD = "Helvetica", "Helvetica-Bold"
_SEAL_RADIUS = 19 * mm
_SEAL_RED = (0.7, 0.05, 0.05)


@dataclass(frozen=True)
class Seal:
    """The court's seal on a sealed copy of an originating document: which court sealed it, and when."""

    court_name: str
    sealed_on: date


@dataclass(frozen=True)
class Stamped:
    """What the stamped copy holds."""

    pages: int


def stamp(source: BinaryIO, target: BinaryIO, drn: str, seal: Seal | None = None) -> Stamped:
    """Write ``source`` (a checked, unencrypted PDF) to ``target`` with the DRN, and ``seal`` if given, on
    page 1. Both are binary files; ``target`` is written from its current position."""
    source.seek(0)
    reader = PdfReader(source, strict=False)
    writer = PdfWriter(clone_from=reader)
    page = writer.pages[0]
    box = page.cropbox
    rotation = page.rotation % 360
    turned = rotation in (90, 270)
    width, height = (float(box.height), float(box.width)) if turned else (float(box.width), float(box.height))
    overlay = PdfReader(io.BytesIO(_overlay(width, height, drn, seal))).pages[0]
    page.merge_transformed_page(overlay, _to_page_space(rotation, box), over=True, expand=False)
    # The producer line would otherwise name the pypdf version that stamped it.
    writer.add_metadata({NameObject("/Producer"): "Judiciary iCMS"})
    writer.write(target)
    return Stamped(pages=len(writer.pages))


def _to_page_space(rotation: int, box: RectangleObject) -> Transformation:
    """The transformation from the page as seen (origin at the bottom left of what the reader shows) to the
    page's own coordinates: a viewer turns the page clockwise by /Rotate, so this turns anticlockwise."""
    left, bottom = float(box.left), float(box.bottom)
    width, height = float(box.width), float(box.height)
    shift = {0: (left, bottom), 90: (left + width, bottom), 180: (left + width, bottom + height)}
    x, y = shift.get(rotation, (left, bottom + height))
    return Transformation().rotate(rotation).translate(x, y)


def _overlay(width: float, height: float, drn: str, seal: Seal | None) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=0)
    _drn_mark(canvas, width, height, drn)
    if seal is not None:
        _seal_mark(canvas, height, seal)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _drn_mark(canvas: Canvas, width: float, height: float, drn: str) -> None:
    """``DRN 1234 5678 9012`` over its barcode, on a white ground so the page beneath cannot obscure it."""
    barcode = Code128(drn, barHeight=7 * mm, barWidth=0.75, humanReadable=False, quiet=True)
    label = f"DRN {printed(drn)}"
    text_width = canvas.stringWidth(label, _FONT_BOLD, 9)
    mark_width = max(barcode.width, text_width)
    right, top = width - MARGIN, height - MARGIN
    left, bottom = right - mark_width, top - 7 * mm - 12
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(left - 2, bottom - 2, mark_width + 4, top - bottom + 4, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(_FONT_BOLD, 9)
    canvas.drawRightString(right, top - 9, label)
    barcode.drawOn(canvas, right - barcode.width, bottom)
    canvas.restoreState()


def _seal_mark(canvas: Canvas, height: float, seal: Seal) -> None:
    """A round red seal at the top left: the court, SEALED / 蓋印 and the date."""
    register_fonts()
    x, y = MARGIN + _SEAL_RADIUS, height - MARGIN - _SEAL_RADIUS
    canvas.saveState()
    canvas.setStrokeColorRGB(*_SEAL_RED)
    canvas.setFillColorRGB(*_SEAL_RED)
    canvas.setLineWidth(1.5)
    canvas.circle(x, y, _SEAL_RADIUS, stroke=1, fill=0)
    canvas.setLineWidth(0.6)
    canvas.circle(x, y, _SEAL_RADIUS - 2.5, stroke=1, fill=0)
    lines = _court_lines(seal.court_name)
    canvas.setFont(_FONT, 5.5)
    for n, line in enumerate(lines):
        canvas.drawCentredString(x, y + 11 * mm - n * 7, line)
    canvas.setFont(_FONT_BOLD, 11)
    canvas.drawCentredString(x, y - 1, "SEALED")
    canvas.setFont(CHINESE_FONT, 10)
    canvas.drawCentredString(x, y - 13, "蓋印")
    canvas.setFont(_FONT, 6)
    canvas.drawCentredString(x, y - 12 * mm, court_date(seal.sealed_on))
    canvas.restoreState()


def _court_lines(court_name: str) -> list[str]:
    """The court's name in at most two lines that fit inside the seal's ring."""
    words = court_name.upper().split()
    if len(" ".join(words)) <= 24:
        return [" ".join(words)]
    half = len(words) // 2
    return [" ".join(words[:half]), " ".join(words[half:])]
