"""The demo court's cases for ``make run``: a personal injuries action started by the demo law firm's
clerk, waiting for its fee, and a letter to the court in it, waiting in the registry's queue.
Made through the same use cases as real filings, once per data directory."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from chassis.web.principal import Principal
from filing.adapters.tables import Case, Organisation
from filing.service_layer import cases, submissions
from filing.service_layer.deps import Deps
from filing.service_layer.uploads import Upload

_ADDRESS = {"lines": ["Flat A, 12/F, Harbour Court", "8 Harbour Road"], "district": "Wan Chai"}
WRIT = {
    "language": "en",
    "solicitor_reference": "CLW/PI/2026/001",
    "plaintiffs": [{"name": "CHAN Tai Man", "name_zh": "陳大文", "kind": "individual", "address": _ADDRESS}],
    "defendants": [
        {"name": "Wing Fat Construction Company Limited", "kind": "company", "address": _ADDRESS},
    ],
    "nature_of_claim": "Damages for personal injuries suffered in an accident at work",
    "indorsement_of_claim": (
        "The Plaintiff's claim is for damages for personal injuries suffered on 14 March 2026 when he fell "
        "from an unguarded scaffold at a construction site in Kwun Tong while employed by the Defendant."
    ),
    "remedies": ["Damages", "Interest", "Costs"],
    "date_of_injury": "2026-03-14",
    "place_of_accident": "Construction site, 20 How Ming Street, Kwun Tong, Kowloon",
    "nature_of_injuries": "Fractured left wrist and lower back injury.",
}


def seed(deps: Deps, logins_file: Path) -> int:
    """Start the demo cases unless filing has cases already; returns how many it started."""
    with deps.unit_of_work() as uow:
        if uow.session.scalar(sa.select(sa.func.count()).select_from(Case)):
            return 0
    logins = {login["username"]: login for login in json.loads(logins_file.read_text())}
    clerk = logins["chanlau.clerk"]
    with deps.unit_of_work() as uow:
        # Identity's event names the firm too, once the workers run; the seed must not wait for it.
        if uow.session.get(Organisation, clerk["organisation_id"]) is None:
            uow.session.add(Organisation(id=clerk["organisation_id"], name=clerk["organisation_name"], version=0))
            uow.commit()
    principal = Principal(
        subject=clerk["account_id"],
        account_type="organisation",
        roles=("OU",),
        organisation=clerk["organisation_id"],
        branch=None,
        session=str(uuid.uuid4()),
        expires_at=None,
        client_ip="127.0.0.1",
    )
    _, started = cases.create(deps, principal, {"case_type": "DCPI", "form": WRIT}, None)
    case = started["cases"][0]
    letter = Upload("lead", "letter-to-court.pdf", io.BytesIO(_letter(case["case_number"])))
    submissions.submit(
        deps,
        principal,
        {
            "case_id": case["case_id"],
            "title": "Letter to the Court: request for a case management conference",
            "lead": {"document_type": "letter"},
            "on_behalf_of": [case["parties"][0]["party_id"]],
        },
        [letter],
        None,
    )
    return 1


def _letter(case_number: str) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.setTitle(f"Letter to the Court, {case_number}")
    lines: list[Any] = [
        "Chan, Lau & Wong Solicitors",
        "The Registrar, District Court",
        f"{case_number}",
        "We write to request a case management conference at the Court's convenience.",
    ]
    for n, line in enumerate(lines):
        canvas.drawString(72, 770 - 20 * n, line)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
