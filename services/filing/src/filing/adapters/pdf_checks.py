"""Whether an uploaded document really is a PDF the court accepts, and the text of one it has accepted.

The verdict rests on the bytes alone, never on the file's name or declared media type: a filer's
"writ.pdf" may be a photograph, a Word file or half an upload.
"""

from __future__ import annotations

import logging
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.errors import DependencyError, LimitReachedError, PyPdfError

# The PDF standard lets a header sit anywhere in the first 1024 bytes; readers accept that much junk before it.
HEADER_WINDOW = 1024
# A complete file ends with %%EOF, though some producers append a little trailing junk after it.
TAIL_WINDOW = 2048

_HEADER = re.compile(rb"%PDF-(\d+\.\d+)")
_EOF_MARKER = b"%%EOF"

# What a malformed file makes pypdf raise, besides its own errors. OSError and MemoryError are left out on
# purpose: a failure of our own storage or of the machine is not the filer's fault and must not be reported
# as a damaged document.
_MALFORMED = (
    PyPdfError,
    DependencyError,
    ArithmeticError,
    AssertionError,
    AttributeError,
    EOFError,
    LookupError,
    NotImplementedError,
    RecursionError,
    TypeError,
    ValueError,
    struct.error,
    zlib.error,
)

_ENCRYPTED_DETAIL = (
    "The PDF is encrypted or has security settings (a password or permission restrictions); "
    "save it again without any security settings and upload that copy."
)

# Formats most often uploaded by mistake, so the filer is told what they sent.
_OTHER_FORMATS = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (or a Word, Excel or other Office file)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an older Word, Excel or other Office file"),
    (b"{\\rtf", "an RTF document"),
)


@dataclass(frozen=True)
class PdfFacts:
    """What the court records about an acceptable PDF."""

    pages: int
    pdf_version: str


class UnacceptableDocument(ValueError):
    """The upload is not a PDF the court accepts; `kind` is stable, `detail` is for the filer."""

    kind = "unacceptable_document"

    def __init__(self, detail: str) -> None:
        """Record why the document is refused."""
        super().__init__(detail)
        self.detail = detail


class NotAPdf(UnacceptableDocument):
    """The content is not a PDF at all, whatever the file is called."""

    kind = "not_a_pdf"


class DamagedPdf(UnacceptableDocument):
    """The content claims to be a PDF but is cut short, unreadable, or has no pages."""

    kind = "damaged_pdf"


class EncryptedPdf(UnacceptableDocument):
    """The PDF is encrypted; the court keeps only documents anyone entitled can open and search."""

    kind = "encrypted_pdf"


class _QuietPypdf:
    """Holds back pypdf's log while uploads are read.

    pypdf logs every repair it makes to a malformed file; for uploads such repairs are routine and the
    verdict is what counts. Readers are counted because requests are checked on several threads at once,
    and only the last one out restores the level.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readers = 0
        self._level_before = logging.NOTSET

    @contextmanager
    def held(self) -> Iterator[None]:
        logger = logging.getLogger("pypdf")
        with self._lock:
            if self._readers == 0:
                self._level_before = logger.level
                logger.setLevel(logging.CRITICAL + 1)
            self._readers += 1
        try:
            yield
        finally:
            with self._lock:
                self._readers -= 1
                if self._readers == 0:
                    logger.setLevel(self._level_before)


_quiet_pypdf = _QuietPypdf()


def inspect_pdf(stream: BinaryIO, size: int) -> PdfFacts:
    """Check that the `size` bytes in the seekable `stream` are an acceptable PDF and return its facts.

    Raises NotAPdf, DamagedPdf or EncryptedPdf (all UnacceptableDocument) and nothing else for a malformed
    document. Only the head, the tail and what pypdf needs of the structure are read; page contents are not.
    The stream is left at its start.
    """
    if size < 0:
        raise ValueError(f"size must not be negative, got {size}")
    try:
        head = _read_at(stream, 0, min(size, HEADER_WINDOW))
        header_at = head.find(b"%PDF-")
        if header_at < 0:
            raise NotAPdf(_not_a_pdf_detail(head))
        header = _HEADER.match(head, header_at)
        if header is None:
            raise DamagedPdf("The PDF header does not state a PDF version, so the file cannot be read.")
        # pypdf alone would search backwards past the cut for an earlier revision's %%EOF (an edited or
        # web-optimised PDF has several) and accept what survives, so a truncated upload must be caught here.
        tail = _read_at(stream, max(0, size - TAIL_WINDOW), min(size, TAIL_WINDOW))
        if _EOF_MARKER not in tail:
            raise DamagedPdf(
                "The PDF is incomplete: it has no end-of-file marker, so the upload or the file itself was cut short."
            )
        return _read_structure(stream, header.group(1).decode("ascii"), tail)
    finally:
        stream.seek(0)


def extract_text(stream: BinaryIO) -> str:
    """The text of every page of an accepted PDF in `stream`, pages separated by form feeds.

    A page whose text cannot be extracted contributes an empty string, so one bad page does not lose the
    rest of the document. Raises DamagedPdf if the document cannot be opened at all. The stream is left at
    its start.
    """
    stream.seek(0)
    try:
        with _quiet_pypdf.held(), PdfReader(stream, strict=False) as reader:
            return "\f".join(_page_text(reader, number) for number in range(len(reader.pages)))
    except _MALFORMED as exc:
        raise DamagedPdf("The PDF is damaged and its text cannot be read.") from exc
    finally:
        stream.seek(0)


def _read_structure(stream: BinaryIO, header_version: str, tail: bytes) -> PdfFacts:
    stream.seek(0)
    try:
        with _quiet_pypdf.held(), PdfReader(stream, strict=False) as reader:
            encrypted = reader.is_encrypted
            if not encrypted:
                pages = len(reader.pages)
                version = _later_version(header_version, reader.root_object.get("/Version"))
    except LimitReachedError as exc:
        # pypdf's own bounds (page-tree size and depth, array and stream lengths) keep one upload from taking
        # the worker's time or memory; a document beyond them is refused rather than half-checked.
        raise DamagedPdf("The PDF is too large or too complex to check; split it into smaller documents.") from exc
    except _MALFORMED as exc:
        # pypdf gives up on security handlers it does not implement; the trailer still says the file is encrypted.
        if b"/Encrypt" in tail:
            raise EncryptedPdf(_ENCRYPTED_DETAIL) from exc
        raise DamagedPdf("The PDF is damaged: its structure or page list cannot be read.") from exc
    if encrypted:
        raise EncryptedPdf(_ENCRYPTED_DETAIL)
    if pages == 0:
        raise DamagedPdf("The PDF has no pages.")
    return PdfFacts(pages=pages, pdf_version=version)


def _later_version(header_version: str, catalog_version: object) -> str:
    """The catalog's /Version overrides the header when it names a later version (ISO 32000-1, 7.5.2)."""
    if catalog_version is None:
        return header_version
    match = re.fullmatch(r"/?(\d+)\.(\d+)", str(catalog_version))
    if match is None:
        return header_version
    major, minor = (int(part) for part in header_version.split("."))
    if (int(match.group(1)), int(match.group(2))) > (major, minor):
        return f"{match.group(1)}.{match.group(2)}"
    return header_version


def _page_text(reader: PdfReader, number: int) -> str:
    try:
        return reader.pages[number].extract_text()
    except _MALFORMED:
        return ""


def _read_at(stream: BinaryIO, offset: int, length: int) -> bytes:
    stream.seek(offset)
    return stream.read(length)


def _not_a_pdf_detail(head: bytes) -> str:
    if not head:
        return "The file is empty; a PDF document is required."
    for signature, what in _OTHER_FORMATS:
        if head.startswith(signature):
            return f"The file is {what}, not a PDF document; only PDF documents are accepted."
    return "The file is not a PDF document (it does not begin with a PDF header); only PDF documents are accepted."
