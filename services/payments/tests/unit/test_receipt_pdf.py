"""A receipt's PDF, read back as the payer's PDF reader would."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from chassis.money import hkd
from payments.adapters.receipt_pdf import AUTHOR, ReceiptDocument, ReceiptLine, render_receipt

HONG_KONG = ZoneInfo("Asia/Hong_Kong")
PAID = ReceiptDocument(
    number="R2026-0000123",
    kind="payment",
    issued_at=datetime(2026, 11, 23, 13, 5, tzinfo=UTC),  # 21:05 in Hong Kong: after the registry closed
    deemed_paid_at=datetime(2026, 11, 24, 0, 45, tzinfo=UTC),
    court=("District Court", "區域法院"),
    payer="Account 9c1f5d82-7e3b-4d09-a6b4-5f2e8c0a1d76",
    method="Visa card",
    description="Filing EF-20261123-7K4Q2M in DCPI 12/2026",
    lines=(
        ReceiptLine("Issue of a writ of summons (electronic filing)", 1, 50_400, 50_400, "DC.WRIT"),
        ReceiptLine("Search or inspection, per document", 3, 1_400, 4_200, "DC.SEARCH"),
    ),
    amount_cents=54_600,
    reference=("Payment order", "6a0d3b94-2f7e-4c18-a5b9-e41c8d7f2063"),
)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    ("cents", "shown"),
    [(0, "HK$0.00"), (5, "HK$0.05"), (1_400, "HK$14.00"), (104_500, "HK$1,045.00"), (123_456_789, "HK$1,234,567.89")],
)
def test_money_is_hong_kong_dollars_with_cents_and_thousands(cents: int, shown: str) -> None:
    assert hkd(cents) == shown


def test_a_payment_receipt_shows_number_court_times_payer_method_lines_and_total() -> None:
    pdf = render_receipt(PAID, HONG_KONG)
    reader = PdfReader(io.BytesIO(pdf))
    text = text_of(pdf)
    assert pdf.startswith(b"%PDF-") and len(reader.pages) == 1 and not reader.is_encrypted
    assert "THE JUDICIARY OF THE HONG KONG SPECIAL ADMINISTRATIVE REGION" in text
    assert "香港特別行政區司法機構" in text and "DISTRICT COURT" in text and "區域法院" in text
    assert "OFFICIAL RECEIPT" in text and "正式收據" in text and "No. R2026-0000123" in text
    assert "23 November 2026 21:05 (Hong Kong time)" in text
    assert "Deemed paid at" in text and "24 November 2026 08:45 (Hong Kong time)" in text
    assert "Account 9c1f5d82-7e3b-4d09-a6b4-5f2e8c0a1d76" in text and "Visa card" in text
    assert "DC.WRIT" in text and "HK$504.00" in text and "HK$14.00" in text and "HK$42.00" in text
    assert "TOTAL PAID" in text and "HK$546.00" in text
    assert "Filing EF-20261123-7K4Q2M in DCPI 12/2026" in text
    assert reader.metadata.title == "Official Receipt R2026-0000123"
    assert reader.metadata.author == AUTHOR
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.01)  # A4


def test_a_refund_receipt_says_refunded_and_where_the_money_went() -> None:
    refund = replace(
        PAID, number="R2026-0000124", kind="refund", deemed_paid_at=None, method="Deposit account DA000042"
    )
    text = text_of(render_receipt(refund, HONG_KONG))
    assert "REFUND RECEIPT" in text and "退款收據" in text and "No. R2026-0000124" in text
    assert "Refunded on" in text and "Refunded to" in text and "Deposit account DA000042" in text
    assert "TOTAL REFUNDED" in text and "HK$546.00" in text
    assert "Deemed paid at" not in text and "OFFICIAL RECEIPT" not in text


def test_a_deposit_receipt_has_no_court_and_names_the_account() -> None:
    deposit = replace(
        PAID,
        court=None,
        deemed_paid_at=None,
        method="PPS",
        description="Opening deposit, deposit account DA000042",
        lines=(ReceiptLine("Opening deposit, deposit account DA000042", 1, 300_000, 300_000),),
        amount_cents=300_000,
        reference=("Deposit account", "DA000042"),
    )
    text = text_of(render_receipt(deposit, HONG_KONG))
    assert "DISTRICT COURT" not in text and "PPS" in text and "DA000042" in text and "HK$3,000.00" in text


def test_chinese_is_set_in_the_traditional_chinese_cid_font() -> None:
    pdf = render_receipt(replace(PAID, description="Search 查冊 in DCPI 12/2026"), HONG_KONG)
    assert "查冊" in text_of(pdf)
    assert b"/BaseFont /MSung-Light" in pdf and b"/Encoding /UniCNS-UCS2-H" in pdf


def test_text_that_looks_like_markup_is_printed_not_obeyed() -> None:
    text = text_of(render_receipt(replace(PAID, description='Fine <b>x</b> & <font size="40">y</font>'), HONG_KONG))
    assert 'Fine <b>x</b> & <font size="40">y</font>' in text


def test_the_same_receipt_renders_to_the_same_bytes() -> None:
    first, second = render_receipt(PAID, HONG_KONG), render_receipt(PAID, HONG_KONG)
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_an_order_of_many_lines_runs_over_numbered_pages() -> None:
    lines = tuple(ReceiptLine(f"Search or inspection, document {n}", 1, 1_400, 1_400, "DC.SEARCH") for n in range(80))
    pdf = render_receipt(replace(PAID, lines=lines, amount_cents=80 * 1_400), HONG_KONG)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert f"Page {len(reader.pages)}" in reader.pages[-1].extract_text()
    assert "HK$1,120.00" in text_of(pdf)
