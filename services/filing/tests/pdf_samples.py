"""Documents for tests: real PDFs built in memory, and the wrong or broken files filers upload by mistake."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path
from typing import BinaryIO

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

_CHUNK = 1024 * 1024
_TRAILER = re.compile(rb"/Root\s+(\d+)\s+0\s+R.*?/Size\s+(\d+).*?startxref\s+(\d+)\s+%%EOF\s*\Z", re.DOTALL)


def pdf_bytes(pages: int = 1, text: str = "Statement of claim") -> bytes:
    """A text-searchable PDF whose page n reads f"{text} page {n}" (n from 1)."""
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    for number in range(1, pages + 1):
        document.setFont("Helvetica", 12)
        document.drawString(72, 760, f"{text} page {number}")
        document.showPage()
    document.save()
    return buffer.getvalue()


def pdf_of_size(size_bytes: int, pages: int = 1) -> bytes:
    """A valid PDF of at least `size_bytes`, padded with an incompressible stream object."""
    buffer = io.BytesIO()
    _write_padded_pdf(buffer, size_bytes, pages)
    return buffer.getvalue()


def write_pdf_of_size(path: Path | str, size_bytes: int, pages: int = 1) -> int:
    """Write a valid PDF of at least `size_bytes` to `path` a chunk at a time; returns its size."""
    with open(path, "wb") as out:
        _write_padded_pdf(out, size_bytes, pages)
        return out.tell()


def stream_pdf_of_size(out: BinaryIO, size_bytes: int, pages: int = 1) -> None:
    """Write a valid PDF of at least `size_bytes` to the writable `out` (needs write and tell) a chunk at a time."""
    _write_padded_pdf(out, size_bytes, pages)


def encrypted_pdf(algorithm: str = "AES-256") -> bytes:
    """A PDF that opens without a password but is encrypted, with restrictions under an owner password."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(pages=2)))
    writer.encrypt(user_password="", owner_password="registry-owner", algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def truncated_pdf() -> bytes:
    """A valid three-page PDF cut off at about 60% of its length, as an interrupted upload leaves it.

    The document has been updated once, like most edited or web-optimised PDFs, so the part that survives
    still holds a complete earlier revision: a lenient reader opens it and never notices the loss.
    """
    whole = pdf_of_size(64 * 1024, pages=3)
    return whole[: len(whole) * 6 // 10]


def pdf_with_no_pages() -> bytes:
    """A well-formed PDF whose page tree is empty."""
    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    return buffer.getvalue()


def pdf_with_unreadable_page(pages: int = 3, unreadable: int = 2) -> bytes:
    """A PDF like pdf_bytes(pages) whose page `unreadable` (from 1) has contents in a filter no reader knows."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(pages=pages)))
    contents = DecodedStreamObject()
    contents.set_data(b"BT /F1 12 Tf 72 760 Td (unreadable) Tj ET")
    contents[NameObject("/Filter")] = NameObject("/UnknownDecode")
    writer.pages[unreadable - 1].replace_contents(contents)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_bytes() -> bytes:
    """A real, small PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def zip_bytes() -> bytes:
    """A ZIP archive holding a PDF, as a filer might send a zipped bundle."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bundle/writ.pdf", pdf_bytes())
    return buffer.getvalue()


def pdf_from_objects(objects: list[bytes], version: str = "1.7") -> bytes:
    """A hand-made PDF of the given object bodies, numbered from 1, with object 1 as the catalog."""
    out = io.BytesIO()
    out.write(f"%PDF-{version}\n".encode("ascii"))
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n")
    xref_at = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii"))
    out.write("".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("ascii"))
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode("ascii"))
    return out.getvalue()


def _write_padded_pdf(out: BinaryIO, size_bytes: int, pages: int) -> None:
    """Write a small real PDF followed by an incremental update that adds one unreferenced padding stream.

    Random bytes neither compress nor resemble PDF syntax, and the update keeps the original document
    (and its text) intact, so the result reads exactly like the small one, only larger.
    """
    base = pdf_bytes(pages=pages)
    base_at = out.tell()
    out.write(base)
    trailer = _TRAILER.search(base[-1024:])
    assert trailer is not None, "the base document must end with a classic trailer"
    root, number, previous_xref = (int(group) for group in trailer.groups())
    previous_xref += base_at
    opening = f"{number} 0 obj\n<< /Length {{length}} >>\nstream\n"
    closing = b"\nendstream\nendobj\n"
    overhead = len(base) + len(opening.format(length=size_bytes)) + len(closing)
    remaining = max(0, size_bytes - overhead)
    padding_at = out.tell()
    out.write(opening.format(length=remaining).encode("ascii"))
    while remaining:
        chunk = min(remaining, _CHUNK)
        out.write(os.urandom(chunk))
        remaining -= chunk
    out.write(closing)
    xref_at = out.tell()
    out.write(
        (
            f"xref\n{number} 1\n{padding_at:010d} 00000 n \n"
            f"trailer\n<< /Size {number + 1} /Root {root} 0 R /Prev {previous_xref} >>\n"
            f"startxref\n{xref_at}\n%%EOF\n"
        ).encode("ascii")
    )
