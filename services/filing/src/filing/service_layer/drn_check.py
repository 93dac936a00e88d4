"""The public DRN check (DOMAIN.md section 6): anyone, without logging in, asks whether a Document
Reference Number is genuine and, with a file, whether the file is the document issued under it.

A typo (bad check digit) is told apart from a number the court never issued. Nothing about a sealed
document, or a document in a sealed case, is revealed beyond the fact that the DRN is genuine: no
details and no comparison, since a match would confirm what a document says.
"""

from __future__ import annotations

import hashlib
from typing import Any, BinaryIO

import sqlalchemy as sa

from chassis.clock import iso
from filing.adapters.tables import Case, IssuedDocument
from filing.domain.drn import Verdict, classify
from filing.service_layer import errors
from filing.service_layer.deps import Deps
from filing.service_layer.uploads import CHUNK


def well_formed(raw: str) -> str:
    """The DRN in ``raw`` (spaces and hyphens dropped); 400 if it is not twelve digits, 422 if its check
    digit is wrong."""
    verdict, drn = classify(raw)
    if verdict is Verdict.MALFORMED:
        raise errors.invalid_drn("A DRN is twelve digits, e.g. 1234 5678 9012.")
    if verdict is Verdict.MISTYPED:
        raise errors.drn_mistyped()
    return drn


def check(deps: Deps, raw: str, file: BinaryIO | None = None) -> dict[str, Any]:
    """Whether the DRN is genuine, with the document's details unless sealed; with ``file``, whether its
    SHA-256 is that of the stamped copy or of the original."""
    drn = well_formed(raw)
    with deps.unit_of_work() as uow:
        found = uow.session.execute(
            sa.select(IssuedDocument, Case)
            .join(Case, Case.id == IssuedDocument.case_id)
            .where(IssuedDocument.drn == drn)
        ).first()
        if found is None:
            raise errors.drn_unknown()
        document, case = found
        hidden = document.sealed or case.sealed
        answer: dict[str, Any] = {
            "drn": drn,
            "genuine": True,
            "details": None if hidden else _details(deps, document, case),
        }
        if file is not None:
            answer["matches"] = None if hidden else _sha256(file) in (document.stamped_sha256, document.original_sha256)
        return answer


def _details(deps: Deps, document: IssuedDocument, case: Case) -> dict[str, Any]:
    return {
        "case_number": case.case_number,
        "court": case.court,
        "court_name": deps.catalogue.courts[case.court],
        "title": document.title,
        "kind": document.kind,
        "issued_at": iso(document.issued_at),
        "sha256": document.stamped_sha256,
    }


def _sha256(file: BinaryIO) -> str:
    """The file's SHA-256, read a chunk at a time (werkzeug has spooled it to a temporary file)."""
    digest = hashlib.sha256()
    while chunk := file.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
