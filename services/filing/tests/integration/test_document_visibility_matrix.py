"""Who downloads which document, as one table: every kind of caller against every kind of document,
sealed or not, in a case type open to public inspection (DCPI) and in one that never is (HCMA).

The scene, built once for the module. For each case type, three cases (one left alone, one whose
documents are all sealed, one sealed as a whole), each with four documents:

  originating  the originating document, filed and on the docket (a kind open to inspection)
  defence      a defence, filed and on the docket (not open to inspection)
  order        an order the court issued (open to inspection)
  notice       a notice of hearing the court issued (not open to inspection)

A litigant in person (IU) is the plaintiff; Chan & Co's organisation user is assigned to each case.
DCPI cases are started and filed into through the API; HCMA has no e-filing form, so its cases and
originating documents are inserted by the test kit's clearly-labelled helper, and its defence comes
in on paper through the registry. Issued documents are inserted (with their PDFs in S3) by the kit's
``issued_document`` until issuing's endpoint is merged. In HCMA the originating document and the
order carry the "open to inspection" flag themselves, so it is the case type alone that keeps the
public out.

Before anything is sealed, an anonymous member of the public and an organisation user of another
firm each ask to inspect every document they may (POST /inspections), and payments' order events
for each are delivered: created, then paid. Inspecting the others is refused (404) from the start.
Then the registry seals, and every cell downloads: ``GET /documents/{id}/download`` answers 200 with
a presigned URL that gives exactly the document's bytes, or 404.
"""

from __future__ import annotations

import hashlib
import io
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pdf_samples
import pytest
from filing_testkit import Caller, World, world_of_its_own

from chassis.clock import iso
from filing.adapters import tables

# Callers (columns):
#   party_ou     Chan & Co's organisation user, assigned to the case
#   other_ou     an organisation user of another firm, with no inspection
#   iu_party     the litigant in person who is the plaintiff
#   registry     a registry officer
#   public       no login, no inspection
#   public_paid  no login, presenting the token of its own paid inspection of that document
#   other_paid   an organisation user of a third firm, holding its own paid inspection of that document
#
# Rows: case type, sealed state (none / document / case), document. 200: the download works; 404: as
# if the document did not exist.
MATRIX = """
case  sealed    document     party_ou  other_ou  iu_party  registry  public  public_paid  other_paid
DCPI  none      originating  200       404       200       200       404     200          200
DCPI  none      defence      200       404       200       200       404     404          404
DCPI  none      order        200       404       200       200       404     200          200
DCPI  none      notice       200       404       200       200       404     404          404
DCPI  document  originating  200       404       200       200       404     404          404
DCPI  document  defence      200       404       200       200       404     404          404
DCPI  document  order        200       404       200       200       404     404          404
DCPI  document  notice       200       404       200       200       404     404          404
DCPI  case      originating  200       404       200       200       404     404          404
DCPI  case      defence      200       404       200       200       404     404          404
DCPI  case      order        200       404       200       200       404     404          404
DCPI  case      notice       200       404       200       200       404     404          404
HCMA  none      originating  200       404       200       200       404     404          404
HCMA  none      defence      200       404       200       200       404     404          404
HCMA  none      order        200       404       200       200       404     404          404
HCMA  none      notice       200       404       200       200       404     404          404
HCMA  document  originating  200       404       200       200       404     404          404
HCMA  document  defence      200       404       200       200       404     404          404
HCMA  document  order        200       404       200       200       404     404          404
HCMA  document  notice       200       404       200       200       404     404          404
HCMA  case      originating  200       404       200       200       404     404          404
HCMA  case      defence      200       404       200       200       404     404          404
HCMA  case      order        200       404       200       200       404     404          404
HCMA  case      notice       200       404       200       200       404     404          404
"""

CASE_TYPES = ("DCPI", "HCMA")
SEALED = ("none", "document", "case")
DOCUMENTS = ("originating", "defence", "order", "notice")
INSPECTABLE = ("originating", "order")


def _cells(table: str) -> list[tuple[str, str, str, str, int]]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    callers = header[3:]
    cells = []
    for case_type, sealed, document, *statuses in rows:
        assert len(statuses) == len(callers), f"row {case_type} {sealed} {document}: {len(statuses)} cells"
        cells.extend(
            (case_type, sealed, document, who, int(status)) for who, status in zip(callers, statuses, strict=True)
        )
    return cells


CELLS = _cells(MATRIX)


@dataclass
class Document:
    document_id: str
    sha256: str
    """What the download must give: the filed file, or an issued document's stamped copy."""
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass
class Scene:
    world: World
    callers: dict[str, Caller | None]
    documents: dict[tuple[str, str, str], Document]
    refused_inspections: list[int]

    def download(self, case_type: str, sealed: str, document: str, who: str) -> Any:
        doc = self.documents[(case_type, sealed, document)]
        headers = {"Inspection-Token": doc.tokens["public_paid"]} if who == "public_paid" else None
        return self.world.call("GET", f"/documents/{doc.document_id}/download", self.callers[who], headers=headers)


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _documents_of_dcpi(world: World, iu: Caller, clerk: Caller, registry: Caller, firm: str) -> dict[str, Document]:
    case = world.start_case(iu, "DCPI")
    case_id, writ = case["case_id"], case["filing"]
    world.pay(writ, world.order_for(writ))
    world.ok("POST", f"/filings/{writ['filing_id']}/accept", registry, json={})
    world.assign(case_id, firm, clerk)
    defence_pdf = pdf_samples.pdf_bytes(2, f"Defence in {case_id}")
    metadata = {
        "case_id": case_id,
        "title": "Defence",
        "lead": {"document_type": "defence"},
        "on_behalf_of": [case["parties"][1]["party_id"]],
    }
    response = world.file(clerk, metadata, defence_pdf)
    assert response.status_code == 201, response.get_data(as_text=True)
    defence = response.get_json()
    world.pay(defence, world.order_for(defence))
    world.ok("POST", f"/filings/{defence['filing_id']}/accept", registry, json={})
    order = world.issued_document(case_id, "order")
    notice = world.issued_document(case_id, "notice_of_hearing")
    originating = writ["documents"][0]
    return {
        "case_id": Document(case_id, ""),
        "originating": Document(originating["document_id"], originating["sha256"]),
        "defence": Document(defence["documents"][0]["document_id"], _sha(defence_pdf)),
        "order": Document(order["document_id"], _sha(order["stamped"])),
        "notice": Document(notice["document_id"], _sha(notice["stamped"])),
    }


def _documents_of_hcma(world: World, iu: Caller, clerk: Caller, registry: Caller, firm: str) -> dict[str, Document]:
    # TEST-ONLY rows: HCMA cases are not e-filed (see the test kit's case_without_efiling).
    case = world.case_without_efiling("HCMA", iu, originating_public=True)
    case_id = case["case_id"]
    world.assign(case_id, firm, clerk)
    defence_pdf = pdf_samples.pdf_bytes(2, f"Defence in {case_id}")
    metadata = {
        "case_id": case_id,
        "title": "Defence",
        "lead": {"document_type": "defence"},
        "received_at": iso(world.clock.now()),
    }
    response = world.call(
        "POST",
        "/paper-filings",
        registry,
        data={"metadata": json.dumps(metadata), "lead": (io.BytesIO(defence_pdf), "defence.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    defence = response.get_json()
    world.ok("POST", f"/filings/{defence['filing_id']}/accept", registry, json={})
    with world.deps.store.open(_object_key(world, case["document_id"])) as reader:
        originating_sha = _sha(reader.read())
    # The order carries the flag itself; only the case type keeps it from the public.
    order = world.issued_document(case_id, "order", public_inspection=True)
    notice = world.issued_document(case_id, "notice_of_hearing")
    return {
        "case_id": Document(case_id, ""),
        "originating": Document(case["document_id"], originating_sha),
        "defence": Document(defence["documents"][0]["document_id"], _sha(defence_pdf)),
        "order": Document(order["document_id"], _sha(order["stamped"])),
        "notice": Document(notice["document_id"], _sha(notice["stamped"])),
    }


def _object_key(world: World, document_id: str) -> str:
    with world.deps.unit_of_work() as uow:
        row = uow.session.get(tables.Document, document_id)
        assert row is not None
        return row.object_key


def _build(world: World) -> Scene:
    firm, other_firm, third_firm = world.firm("Chan & Co"), world.firm("Other LLP"), world.firm("Third & Partners")
    callers: dict[str, Caller | None] = {
        "party_ou": world.caller("OU", firm),
        "other_ou": world.caller("OU", other_firm),
        "iu_party": world.caller("IU"),
        "registry": world.caller("registry_officer"),
        "public": None,
        "public_paid": None,
        "other_paid": world.caller("OU", third_firm),
    }
    iu, clerk, registry, other_paid = (callers[n] for n in ("iu_party", "party_ou", "registry", "other_paid"))
    assert iu is not None and clerk is not None and registry is not None and other_paid is not None
    documents: dict[tuple[str, str, str], Document] = {}
    refused: list[int] = []
    for case_type in CASE_TYPES:
        make = _documents_of_dcpi if case_type == "DCPI" else _documents_of_hcma
        for sealed in SEALED:
            made = make(world, iu, clerk, registry, firm)
            case_id = made.pop("case_id").document_id
            for name, doc in made.items():
                # Everyone who would pay asks first; only what is open to inspection may be asked for.
                for who, caller in (("public_paid", None), ("other_paid", other_paid)):
                    response = world.call("POST", "/inspections", caller, json={"document_id": doc.document_id})
                    if response.status_code == 201:
                        inspection = response.get_json()
                        world.pay_inspection(inspection, world.inspection_order(inspection))
                        if inspection["token"]:
                            doc.tokens[who] = inspection["token"]
                    else:
                        refused.append(response.status_code)
                        doc.tokens.setdefault("public_paid", "not-a-token-of-this-document")
                documents[(case_type, sealed, name)] = doc
            if sealed == "document":
                for doc in made.values():
                    world.ok("POST", f"/documents/{doc.document_id}/seal", registry, json={"reason": "Judge's order"})
            elif sealed == "case":
                world.ok("POST", f"/cases/{case_id}/seal", registry, json={"reason": "Judge's order"})
    return Scene(world, callers, documents, refused)


@pytest.fixture(scope="module")
def scene(postgres_server: str, rabbitmq: Any, s3_settings: Any, s3_client: Any) -> Iterator[Scene]:
    """One filing service and one scene for every cell (database, vhost and bucket live with the module)."""
    with world_of_its_own("filing-visibility", postgres_server, rabbitmq, s3_client, s3_settings) as world:
        yield _build(world)


def test_the_matrix_covers_every_caller_document_seal_and_case_type(scene: Scene) -> None:
    assert {(c, s, d) for c, s, d, _, _ in CELLS} == set(scene.documents)
    assert {who for *_, who, _ in CELLS} == set(scene.callers)
    assert len(CELLS) == len(CASE_TYPES) * len(SEALED) * len(DOCUMENTS) * len(scene.callers)
    # Only the DCPI documents open to inspection could be asked for, by each of the two who pay.
    opened = len(SEALED) * len(INSPECTABLE) * 2
    assert len(scene.refused_inspections) == len(CASE_TYPES) * len(SEALED) * len(DOCUMENTS) * 2 - opened
    assert set(scene.refused_inspections) == {404}


@pytest.mark.parametrize(
    ("case_type", "sealed", "document", "who", "status"), CELLS, ids=["-".join(map(str, c)) for c in CELLS]
)
def test_each_caller_downloads_exactly_what_the_rule_allows(
    scene: Scene, case_type: str, sealed: str, document: str, who: str, status: int
) -> None:
    response = scene.download(case_type, sealed, document, who)
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 404:
        assert response.get_json()["type"] == "urn:icms:problem:not-found"
        return
    answer = response.get_json()
    expected = scene.documents[(case_type, sealed, document)]
    assert answer["sha256"] == expected.sha256
    assert response.headers["Cache-Control"] == "no-store"
    # The presigned URL itself gives the document's bytes, straight from the object store.
    with urllib.request.urlopen(answer["url"], timeout=10) as fetched:  # noqa: S310 (the test's own S3)
        content = fetched.read()
    assert _sha(content) == expected.sha256 and len(content) == answer["size"]
