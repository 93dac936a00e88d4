"""Uploaded documents: checked by content (a real, unencrypted PDF within the size limit), then
streamed into the object store with their SHA-256.

The web process has already spooled each part to a temporary file (werkzeug does that above 500 KB),
so memory stays flat whatever the size; the checks read that file and the store reads it again in
parts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from filing.adapters.pdf_checks import UnacceptableDocument, inspect_pdf
from filing.service_layer import errors
from filing.service_layer.deps import Deps
from filing.service_layer.filings import PDF, StoredDocument

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """One file part of a request."""

    field: str
    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class CheckedUpload:
    upload: Upload
    role: str
    document_type: str
    title: str
    size: int
    pages: int
    sha256: str


def check(upload: Upload, max_bytes: int, role: str, document_type: str, title: str) -> CheckedUpload:
    """Size, then content: 413 above the limit, 415 for anything not a PDF, 422 for a PDF we cannot take."""
    stream = upload.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size > max_bytes:
        raise errors.document_too_large(upload.field, max_bytes)
    try:
        facts = inspect_pdf(stream, size)
    except UnacceptableDocument as refused:
        raise errors.unacceptable_document(upload.field, refused.kind, refused.detail) from None
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return CheckedUpload(upload, role, document_type, title, size, facts.pages, digest.hexdigest())


@contextmanager
def stored(deps: Deps, checked: list[CheckedUpload], prefix: str) -> Iterator[list[StoredDocument]]:
    """Put the documents in the store for the block's use; if the block fails, take them out again.

    Objects are written before their rows, so a crash between the two leaves an object without a row
    (which a sweep can remove), never a row without its object.
    """
    kept: list[StoredDocument] = []
    try:
        for item in checked:
            item.upload.stream.seek(0)
            obj = deps.store.put_stream(
                item.upload.stream, prefix=prefix, content_type=PDF, max_bytes=item.size, part_size=5 * CHUNK
            )
            kept.append(
                StoredDocument(
                    role=item.role,
                    document_type=item.document_type,
                    title=item.title,
                    filename=item.upload.filename,
                    key=obj.key,
                    size=obj.size,
                    sha256=obj.sha256,
                    pages=item.pages,
                )
            )
        yield kept
    except BaseException:
        for doc in kept:
            deps.store.delete(doc.key)
        raise
