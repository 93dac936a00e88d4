"""The check that an upload really is a PDF the court accepts, and the text taken from accepted ones."""

from __future__ import annotations

import contextlib
import io
import logging
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import pdf_samples
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filing.adapters.pdf_checks import (
    DamagedPdf,
    EncryptedPdf,
    NotAPdf,
    PdfFacts,
    UnacceptableDocument,
    extract_text,
    inspect_pdf,
)

MiB = 1024 * 1024
FUZZ = settings(max_examples=120, deadline=None)


def inspect(data: bytes) -> PdfFacts:
    return inspect_pdf(io.BytesIO(data), len(data))


@cache
def three_pages() -> bytes:
    return pdf_samples.pdf_bytes(pages=3)


def test_valid_multi_page_pdf_reports_its_pages_and_version() -> None:
    data = pdf_samples.pdf_bytes(pages=7)

    facts = inspect(data)

    assert facts == PdfFacts(pages=7, pdf_version=data[5:8].decode())


def test_stream_is_left_at_its_start_whether_accepted_or_refused() -> None:
    for data in (three_pages(), pdf_samples.truncated_pdf(), pdf_samples.png_bytes()):
        stream = io.BytesIO(data)
        stream.seek(len(data) // 2)
        with contextlib.suppress(UnacceptableDocument):
            inspect_pdf(stream, len(data))
        assert stream.tell() == 0


def test_png_is_not_a_pdf_whatever_the_file_is_called(tmp_path) -> None:
    path = tmp_path / "statement-of-claim.pdf"
    path.write_bytes(pdf_samples.png_bytes())

    with path.open("rb") as upload, pytest.raises(NotAPdf) as refused:
        inspect_pdf(upload, path.stat().st_size)

    assert refused.value.kind == "not_a_pdf"
    assert "PNG image" in refused.value.detail


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (pdf_samples.zip_bytes(), "ZIP archive"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG image"),
        (b"Dear Registrar,\nplease find attached my claim.\n", "not a PDF document"),
        (b"", "empty"),
    ],
    ids=["zip", "jpeg", "text", "empty"],
)
def test_other_formats_are_not_a_pdf_and_the_detail_says_what_they_are(data: bytes, said: str) -> None:
    with pytest.raises(NotAPdf) as refused:
        inspect(data)

    assert said in refused.value.detail


def test_header_after_a_little_leading_junk_is_still_a_pdf() -> None:
    assert inspect(b"\x00" * 1000 + three_pages()).pages == 3


def test_header_beyond_the_first_1024_bytes_is_not_a_pdf() -> None:
    with pytest.raises(NotAPdf):
        inspect(b" " * 1024 + three_pages())


def test_header_without_a_version_is_damaged() -> None:
    with pytest.raises(DamagedPdf, match="version"):
        inspect(three_pages().replace(b"%PDF-1.3", b"%PDF-x.y", 1))


def test_truncated_pdf_is_damaged_although_pypdf_could_rebuild_it() -> None:
    with pytest.raises(DamagedPdf) as refused:
        inspect(pdf_samples.truncated_pdf())

    assert refused.value.kind == "damaged_pdf"
    assert "cut short" in refused.value.detail


def test_unparseable_body_with_an_end_marker_is_damaged() -> None:
    with pytest.raises(DamagedPdf, match="cannot be read"):
        inspect(b"%PDF-1.7\n" + b"\x07not pdf syntax\x00" * 50 + b"\n%%EOF\n")


def test_pdf_without_pages_is_damaged() -> None:
    with pytest.raises(DamagedPdf, match="no pages"):
        inspect(pdf_samples.pdf_with_no_pages())


@pytest.mark.parametrize("algorithm", ["RC4-40", "RC4-128", "AES-128", "AES-256"])
def test_encrypted_pdf_is_refused_even_with_an_empty_user_password(algorithm: str) -> None:
    with pytest.raises(EncryptedPdf) as refused:
        inspect(pdf_samples.encrypted_pdf(algorithm))

    assert refused.value.kind == "encrypted_pdf"
    assert "without any security settings" in refused.value.detail


def test_encryption_pypdf_cannot_handle_is_still_reported_as_encrypted() -> None:
    data = pdf_samples.encrypted_pdf().replace(b"/Standard", b"/Acme.Sec", 1)

    with pytest.raises(EncryptedPdf):
        inspect(data)


def test_a_later_version_in_the_catalog_overrides_the_header() -> None:
    data = pdf_samples.pdf_from_objects(
        [
            b"<< /Type /Catalog /Version /2.0 /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ],
        version="1.4",
    )

    assert inspect(data) == PdfFacts(pages=1, pdf_version="2.0")


def test_document_beyond_the_readers_bounds_is_refused_rather_than_half_checked() -> None:
    data = pdf_samples.pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Sprawl [" + b"0 " * 100_001 + b"] >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ]
    )

    with pytest.raises(DamagedPdf, match="too large or too complex"):
        inspect(data)


def test_pdf_padded_past_the_size_limit_still_passes_so_the_limit_is_what_refuses_it() -> None:
    data = pdf_samples.pdf_of_size(51 * MiB, pages=2)

    assert len(data) >= 51 * MiB
    assert inspect(data) == inspect(pdf_samples.pdf_bytes(pages=2))


def test_large_upload_is_checked_without_being_read_into_memory(tmp_path) -> None:
    path = tmp_path / "exhibits.pdf"
    size = pdf_samples.write_pdf_of_size(path, 51 * MiB)

    with path.open("rb") as upload:
        tracemalloc.start()
        try:
            facts = inspect_pdf(upload, size)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert facts.pages == 1
    assert peak < 4 * MiB


def test_pypdf_repairs_are_not_logged_and_its_log_level_is_restored(caplog) -> None:
    repaired = b"junk\n" + three_pages().replace(b"startxref\n", b"startxref\n9")
    level = logging.getLogger("pypdf").level

    with caplog.at_level(logging.DEBUG), ThreadPoolExecutor(max_workers=4) as pool:
        facts = list(pool.map(inspect, [repaired] * 16))

    assert {fact.pages for fact in facts} == {3}
    assert [record for record in caplog.records if record.name.startswith("pypdf")] == []
    assert logging.getLogger("pypdf").level == level


def test_extract_text_returns_each_pages_text_separated_by_form_feeds() -> None:
    text = extract_text(io.BytesIO(pdf_samples.pdf_bytes(pages=3, text="Affirmation of service")))

    pages = text.split("\f")
    assert [page.strip() for page in pages] == [f"Affirmation of service page {n}" for n in (1, 2, 3)]


def test_a_page_whose_text_cannot_be_extracted_contributes_nothing() -> None:
    stream = io.BytesIO(pdf_samples.pdf_with_unreadable_page(pages=3, unreadable=2))

    pages = extract_text(stream).split("\f")

    assert [page.strip() for page in pages] == ["Statement of claim page 1", "", "Statement of claim page 3"]
    assert stream.tell() == 0


def test_extract_text_of_a_padded_pdf_reads_only_its_pages() -> None:
    assert extract_text(io.BytesIO(pdf_samples.pdf_of_size(2 * MiB))).strip() == "Statement of claim page 1"


def verdict(data: bytes) -> PdfFacts | UnacceptableDocument:
    """Success or a refusal; any other exception escapes and fails the test."""
    stream = io.BytesIO(data)
    try:
        return inspect_pdf(stream, len(data))
    except UnacceptableDocument as refused:
        return refused
    finally:
        assert stream.tell() == 0


@FUZZ
@given(body=st.binary(max_size=2048), ends_properly=st.booleans())
def test_random_bytes_behind_a_pdf_header_are_refused_or_accepted_but_never_crash(
    body: bytes, ends_properly: bool
) -> None:
    data = b"%PDF-1.7\n" + body + (b"\n%%EOF\n" if ends_properly else b"")

    verdict(data)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=1 << 16))
def test_any_truncation_of_a_valid_pdf_is_refused_or_accepted_but_never_crashes(cut: int) -> None:
    whole = three_pages()
    data = whole[: cut % (len(whole) + 1)]

    outcome = verdict(data)

    if _has_no_end_marker(data):
        assert isinstance(outcome, UnacceptableDocument)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=16))
def test_corrupted_bytes_in_a_valid_pdf_are_refused_or_accepted_but_never_crash(edits: list[tuple[int, int]]) -> None:
    data = bytearray(three_pages())
    for position, value in edits:
        data[position % len(data)] = value

    outcome = verdict(bytes(data))

    if not isinstance(outcome, UnacceptableDocument):
        extract_text(io.BytesIO(bytes(data)))


def _has_no_end_marker(data: bytes) -> bool:
    return b"%%EOF" not in data[-2048:]
