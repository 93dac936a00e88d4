"""The DRN stamp and the court's seal on an issued document, and the documents made from templates,
read back as a PDF reader (and a barcode scanner) would."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pdf_samples
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, RectangleObject
from reportlab.graphics.barcode.code128 import _patterns

from filing.adapters import issued_pdf
from filing.adapters.stamp_pdf import Seal, stamp
from filing.domain.drn import new_drn, printed

DRN = "573225098685"
SEAL = Seal("Court of First Instance of the High Court", date(2026, 11, 23))


def stamped(content: bytes, drn: str = DRN, seal: Seal | None = None) -> bytes:
    out = io.BytesIO()
    stamp(io.BytesIO(content), out, drn, seal)
    return out.getvalue()


def placed_text(page) -> list[tuple[str, float, float, tuple[float, float]]]:  # type: ignore[no-untyped-def]
    """Each run of text on the page: its text, where it starts and its direction, in the page's own space."""
    runs = []

    def visit(text, cm, tm, font, size):  # type: ignore[no-untyped-def]
        if text.strip():
            a, b, c, d, e, f = (float(v) for v in cm)
            x, y = float(tm[4]), float(tm[5])
            direction = (float(tm[0]) * a + float(tm[1]) * c, float(tm[0]) * b + float(tm[1]) * d)
            runs.append((text.strip(), x * a + y * c + e, x * b + y * d + f, direction))

    page.extract_text(visitor_text=visit)
    return runs


def as_seen(page, x: float, y: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """A point of the page's own space where a reader shows it: origin at the bottom left of the crop
    box after turning the page clockwise by its /Rotate."""
    box = page.cropbox
    left, bottom, width, height = float(box.left), float(box.bottom), float(box.width), float(box.height)
    return {
        0: (x - left, y - bottom),
        90: (y - bottom, left + width - x),
        180: (left + width - x, bottom + height - y),
        270: (bottom + height - y, x - left),
    }[page.rotation % 360]


def seen_size(page) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    box = page.cropbox
    turned = page.rotation % 180 == 90
    return (float(box.height), float(box.width)) if turned else (float(box.width), float(box.height))


def turned(content: bytes, rotation: int = 0, cropbox: tuple[float, ...] | None = None) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(content))
    for page in writer.pages:
        if rotation:
            page.rotate(rotation)
        if cropbox:
            page.cropbox = RectangleObject(cropbox)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("rotation", "cropbox"),
    [(0, None), (90, None), (180, None), (270, None), (0, (100, 150, 500, 700)), (90, (50, 60, 560, 800))],
    ids=["upright", "rotate-90", "rotate-180", "rotate-270", "cropped", "cropped-and-turned"],
)
def test_the_drn_is_printed_upright_at_the_top_right_of_page_one_as_the_reader_sees_it(
    rotation: int, cropbox: tuple[float, ...] | None
) -> None:
    page = PdfReader(io.BytesIO(stamped(turned(pdf_samples.pdf_bytes(2, "Order"), rotation, cropbox)))).pages[0]

    runs = [r for r in placed_text(page) if r[0] == f"DRN {printed(DRN)}"]

    assert len(runs) == 1, placed_text(page)
    _, x, y, direction = runs[0]
    seen_x, seen_y = as_seen(page, x, y)
    width, height = seen_size(page)
    assert width / 2 < seen_x < width and height * 3 / 4 < seen_y < height
    # Reading direction: left to right as seen, whatever /Rotate says.
    ahead = as_seen(page, x + direction[0], y + direction[1])
    assert ahead[0] - seen_x == pytest.approx(1, abs=1e-6) and ahead[1] - seen_y == pytest.approx(0, abs=1e-6)


def test_the_barcode_on_page_one_scans_as_the_drn() -> None:
    drn = new_drn()
    page = PdfReader(io.BytesIO(stamped(pdf_samples.pdf_bytes(1), drn))).pages[0]

    assert decode_code128(page) == drn


def test_the_other_pages_and_page_ones_own_content_are_untouched() -> None:
    original = PdfReader(io.BytesIO(pdf_samples.pdf_bytes(3, "Judgment")))
    copy = PdfReader(io.BytesIO(stamped(pdf_samples.pdf_bytes(3, "Judgment"))))

    assert len(copy.pages) == 3
    for number in (1, 2):
        assert copy.pages[number].get_contents().get_data() == original.pages[number].get_contents().get_data()
        assert copy.pages[number].mediabox == original.pages[number].mediabox
    assert original.pages[0].get_contents().get_data() in copy.pages[0].get_contents().get_data()
    assert copy.pages[0].extract_text().startswith("Judgment page 1")
    assert "DRN" not in copy.pages[1].extract_text() + copy.pages[2].extract_text()


def test_the_same_document_and_drn_always_give_the_same_bytes() -> None:
    content = pdf_samples.pdf_bytes(2)

    assert stamped(content) == stamped(content)
    assert stamped(content, seal=SEAL) == stamped(content, seal=SEAL)
    assert stamped(content) != stamped(content, new_drn())


def test_a_sealed_copy_bears_the_courts_seal_at_the_top_left_and_a_plain_stamp_does_not() -> None:
    sealed = PdfReader(io.BytesIO(stamped(pdf_samples.pdf_bytes(1), seal=SEAL))).pages[0]
    plain = PdfReader(io.BytesIO(stamped(pdf_samples.pdf_bytes(1)))).pages[0]

    runs = {text: (x, y) for text, x, y, _ in placed_text(sealed)}
    assert {"SEALED", "蓋印", "COURT OF FIRST INSTANCE", "OF THE HIGH COURT", "23 November 2026"} <= set(runs)
    width, height = seen_size(sealed)
    assert all(x < width / 2 and y > height * 3 / 4 for x, y in (runs["SEALED"], runs["蓋印"]))
    assert "SEALED" not in plain.extract_text() and "蓋印" not in plain.extract_text()


HEADING = issued_pdf.CaseHeading(
    case_number="HCA 501/2026",
    court_name="Court of First Instance of the High Court",
    form_id="writ_hca",
    parties=(
        issued_pdf.PartyLine("CHAN Tai Man", "陳大文", "plaintiff"),
        issued_pdf.PartyLine("Wing Fat Construction Company Limited", None, "defendant"),
    ),
)


def test_a_notice_of_hearing_says_when_where_and_what() -> None:
    hearing = issued_pdf.Hearing(
        datetime(2027, 1, 14, 9, 30, tzinfo=UTC), "Court 23, High Court Building", "a case management conference", None
    )
    content = issued_pdf.notice_of_hearing(HEADING, hearing, date(2026, 11, 23))

    text = " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    for expected in (
        "HCA 501/2026",
        "COURT OF FIRST INSTANCE",
        "ACTION NO. 501 OF 2026",
        "CHAN Tai Man",
        "陳大文",
        "NOTICE OF HEARING",
        "case management conference",
        "Court 23, High Court Building",
        "09:30 on 14 January 2027",
        "Dated 23 November 2026",
    ):
        assert expected in text
    assert content == issued_pdf.notice_of_hearing(HEADING, hearing, date(2026, 11, 23))


def test_an_order_prints_the_judge_the_date_and_each_paragraph() -> None:
    made = issued_pdf.Order(
        "1. The action be dismissed.\n\n2. Costs to the defendant.", "Deputy Judge Lam", date(2026, 11, 20)
    )
    text = " ".join(PdfReader(io.BytesIO(issued_pdf.order(HEADING, made))).pages[0].extract_text().split())

    for expected in (
        "BEFORE DEPUTY JUDGE LAM",
        "ORDER made on 20 November 2026",
        "The action be dismissed.",
        "Costs to",
    ):
        assert expected in text


# A Code 128 reader, enough for the stamp: bars are the filled rectangles as tall as the barcode.


def decode_code128(page) -> str:  # type: ignore[no-untyped-def]
    rectangles = [
        [float(v) for v in operands]
        for operands, operator in ContentStream(page.get_contents(), page.pdf).operations
        if operator == b"re"
    ]
    tallest = max(h for *_, h in rectangles if h < 30)
    bars = sorted((x, w) for x, _, w, h in rectangles if abs(h - tallest) < 0.01)
    module = min(w for _, w in bars)
    elements = []
    for n, (x, w) in enumerate(bars):
        elements.append("ABCD"[round(w / module) - 1])
        if n + 1 < len(bars):
            elements.append("abcd"[round((bars[n + 1][0] - x - w) / module) - 1])
    symbols = {pattern: value for value, pattern in _patterns.items()}
    values = [symbols["".join(elements[i : i + 6])] for i in range(0, len(elements) - 7, 6)]
    assert symbols["".join(elements[-7:])] == 106, "stop"
    start, *data, check = values
    assert start == 105, "code set C: digits in pairs"
    assert check == (start + sum(n * v for n, v in enumerate(data, start=1))) % 103
    return "".join(f"{v:02d}" for v in data)
