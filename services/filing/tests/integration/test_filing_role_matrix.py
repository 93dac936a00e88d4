"""Who may call each of filing's endpoints, as one table: every endpoint against every kind of caller.

The scene, built once for the module: a litigant in person (IU) started DCPI 1/2026 and is its
plaintiff; Chan & Co came on the record for the defendant by an acknowledgement of service and has
one of its organisation users assigned to the case. The IU has a writ on the docket, letters waiting
in the registry's queue and one rejected letter. The registry has issued orders into the case (one
of them sealed); an unrelated IU has asked to inspect one (unpaid); Chan & Co has a Judiciary Cloud
upload under way. Two more cases, one sealed, are there to be sealed and unsealed.

Calls that change what they act on (sealing, completing or deleting an upload) act on things of their
own, so no cell depends on another having run.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import form_examples
import pdf_samples
import pytest
from cloud_testkit import put_parts, start
from filing_testkit import API, Caller, World, search_service, world_of_its_own
from werkzeug.test import TestResponse

from chassis.clock import iso

# Callers (columns):
#   anon      no login
#   iu_party  IU who started the case and is its plaintiff
#   iu_other  IU with nothing to do with the case
#   ou_on     OU of Chan & Co (on the record), assigned to the case
#   ou_off    OU of Chan & Co, not assigned
#   ou_else   OU of another firm
#   pa, sa    Chan & Co's primary and secondary administrators
#   registry  registry officer;  help  Help Centre officer;  admin  system administrator
#   search    the search service (role search_service, signed by search itself): no account, so
#             403 wherever one is needed; reads the export, and otherwise only what the anonymous read
#
# Outcomes: 401 log in first; 403 this role may not do this at all; 404 not the caller's to see (so
# outsiders cannot tell it exists); 200/201 done.
MATRIX = """
action                    anon  iu_party  iu_other  ou_on  ou_off  ou_else  pa   sa   registry  help  admin  search
list_case_types           200   200       200       200    200     200      200  200  200       200   200    200
list_forms                200   200       200       200    200     200      200  200  200       200   200    200
get_form                  200   200       200       200    200     200      200  200  200       200   200    200
list_document_types       200   200       200       200    200     200      200  200  200       200   200    200
list_rejection_reasons    200   200       200       200    200     200      200  200  200       200   200    200
deemed_receipt            200   200       200       200    200     200      200  200  200       200   200    200
list_closures             200   200       200       200    200     200      200  200  200       200   200    200
declare_closure           401   403       403       403    403     403      403  403  201       403   403    403
start_case                401   201       201       201    201     201      403  403  403       403   403    403
list_cases                401   200       200       200    200     200      200  200  200       200   200    403
get_case                  401   200       404       200    404     404      404  404  200       404   404    403
file_into_case            401   201       404       201    404     404      403  403  403       403   403    403
list_filings              401   200       200       200    200     200      200  200  200       200   200    403
get_docketed_filing       401   200       404       200    404     404      404  404  200       404   404    403
get_rejected_filing       401   200       404       404    404     404      404  404  200       404   404    403
download_document         401   200       404       200    404     404      404  404  200       404   404    403
copy_rejected_filing      401   201       404       404    404     404      403  403  403       403   403    403
list_inbox                401   200       200       200    200     200      200  200  200       200   200    403
mark_message_read         401   200       404       404    404     404      404  404  404       404   404    403
mark_message_unread       401   200       404       404    404     404      404  404  404       404   404    403
review_queue              401   403       403       403    403     403      403  403  200       403   403    403
accept_filing             401   403       403       403    403     403      403  403  200       403   403    403
reject_filing             401   403       403       403    403     403      403  403  200       403   403    403
upload_paper_filing       401   403       403       403    403     403      403  403  201       403   403    403
list_restriction_orders   401   403       403       403    403     403      403  403  200       403   403    403
record_restriction_order  401   403       403       403    403     403      403  403  201       403   403    403
revoke_restriction_order  401   403       403       403    403     403      403  403  200       403   403    403
issue_document            401   403       403       403    403     403      403  403  201       403   403    403
list_issued_documents     401   200       404       200    404     404      404  404  200       404   404    403
check_drn                 200   200       200       200    200     200      200  200  200       200   200    200
compare_with_drn          200   200       200       200    200     200      200  200  200       200   200    200
get_public_document       200   200       200       200    200     200      200  200  200       200   200    200
get_private_document      404   200       404       200    404     404      404  404  200       404   404    404
download_issued_document  404   200       404       200    404     404      404  404  200       404   404    404
seal_case                 401   403       403       403    403     403      403  403  200       403   403    403
unseal_case               401   403       403       403    403     403      403  403  200       403   403    403
seal_document             401   403       403       403    403     403      403  403  200       403   403    403
unseal_document           401   403       403       403    403     403      403  403  200       403   403    403
request_inspection        201   201       200       201    201     201      201  201  201       201   201    403
list_inspections          401   200       200       200    200     200      200  200  200       200   200    403
get_inspection            404   404       200       404    404     404      404  404  200       404   404    404
start_cloud_upload        401   403       403       201    201     201      403  403  403       403   403    403
cloud_part_urls           401   403       403       200    200     404      403  403  403       403   403    403
complete_cloud_upload     401   403       403       200    200     404      403  403  403       403   403    403
list_cloud_uploads        401   403       403       200    200     200      200  200  403       403   403    403
get_cloud_upload          401   403       403       200    200     404      200  200  403       403   403    403
delete_cloud_upload       401   403       403       204    204     404      204  204  403       403   403    403
cloud_usage               401   403       403       200    200     200      200  200  403       200   403    403
set_cloud_quota           401   403       403       403    403     403      403  403  403       200   403    403
export_cases              401   403       403       403    403     403      403  403  403       403   403    200
export_documents          401   403       403       403    403     403      403  403  403       403   403    200
"""

WRIT = form_examples.writ_dcpi()
CLOUD_FILE = pdf_samples.pdf_bytes(1, "Exhibit")
PROBLEM_KINDS = {401: "unauthenticated", 403: "forbidden", 404: "not-found"}


def _cells(table: str) -> list[tuple[str, str, int]]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    roles = header[1:]
    cells = []
    for action, *statuses in rows:
        assert len(statuses) == len(roles), f"row {action} has {len(statuses)} cells for {len(roles)} callers"
        cells.extend((action, role, int(status)) for role, status in zip(roles, statuses, strict=True))
    return cells


CELLS = _cells(MATRIX)


@dataclass
class Scene:
    world: World
    callers: dict[str, Caller | None]
    case_id: str
    docketed: dict[str, Any]
    rejected: dict[str, Any]
    to_accept: str
    to_reject: str
    message_id: str
    restriction_order_id: str
    issued: dict[str, Any]
    private_document_id: str
    to_seal: dict[str, str]
    to_unseal: dict[str, str]
    inspection_id: str
    upload_id: str
    organisation_id: str

    @property
    def registry(self) -> Caller:
        registry = self.callers["registry"]
        assert registry is not None
        return registry

    def letter(self, title: str = "Letter to the court") -> dict[str, Any]:
        return {"case_id": self.case_id, "title": title, "lead": {"document_type": "letter"}}


def _multipart(metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {"metadata": json.dumps(metadata), "lead": (io.BytesIO(pdf_samples.pdf_bytes(1, "Letter")), "l.pdf")},
        "content_type": "multipart/form-data",
    }


def _order(world: World, registry: Caller, case_id: str) -> dict[str, Any]:
    body = {"template": "order", "order_text": "Costs in the cause.", "made_on": world.clock.now().date().isoformat()}
    return world.issue(registry, case_id, body)


def _build(world: World) -> Scene:
    firm = world.firm("Chan & Co")
    other_firm = world.firm("Other LLP")
    callers: dict[str, Caller | None] = {
        "anon": None,
        "iu_party": world.caller("IU"),
        "iu_other": world.caller("IU"),
        "ou_on": world.caller("OU", firm),
        "ou_off": world.caller("OU", firm),
        "ou_else": world.caller("OU", other_firm),
        "pa": world.caller("PA", firm),
        "sa": world.caller("SA", firm),
        "registry": world.caller("registry_officer"),
        "help": world.caller("help_centre_officer"),
        "admin": world.caller("system_admin"),
        "search": search_service(),
    }
    litigant, clerk, registry = callers["iu_party"], callers["ou_on"], callers["registry"]
    assert litigant is not None and clerk is not None and registry is not None

    case = world.start_case(litigant, "DCPI")
    case_id, defendant_id = case["case_id"], case["parties"][1]["party_id"]
    writ = case["filing"]
    world.pay(writ, world.order_for(writ))
    docketed = world.ok("POST", f"/filings/{writ['filing_id']}/accept", registry, json={})

    acknowledgement = world.file(
        clerk,
        {
            "case_id": case_id,
            "title": "Acknowledgement of service",
            "lead": {"document_type": "acknowledgement_of_service"},
            "acting_for": defendant_id,
        },
    )
    assert acknowledgement.status_code == 201, acknowledgement.get_data(as_text=True)
    accepted = world.ok("POST", f"/filings/{acknowledgement.get_json()['filing_id']}/accept", registry, json={})
    world.assign(case_id, firm, clerk)

    issued, to_seal, to_unseal = (_order(world, registry, case_id) for _ in range(3))
    world.ok("POST", f"/documents/{to_unseal['document_id']}/seal", registry, json={"reason": "By order"})
    case_to_seal, case_to_unseal = (world.start_case(litigant, "DCPI")["case_id"] for _ in range(2))
    world.ok("POST", f"/cases/{case_to_unseal}/seal", registry, json={"reason": "By order"})
    iu_other = callers["iu_other"]
    assert iu_other is not None
    inspection = world.request_inspection(issued["document_id"], iu_other)
    upload = start(world, clerk, len(CLOUD_FILE), hashlib.sha256(CLOUD_FILE).hexdigest())
    assert upload.status_code == 201, upload.get_data(as_text=True)

    letter = {"case_id": case_id, "title": "Letter to the court", "lead": {"document_type": "letter"}}
    to_accept, to_reject, rejected = (world.file(litigant, letter).get_json() for _ in range(3))
    rejected = world.ok(
        "POST", f"/filings/{rejected['filing_id']}/reject", registry, json={"reasons": ["unsigned"], "message": "Sign"}
    )
    message_id = world.ok("GET", "/inbox", litigant)["messages"][0]["message_id"]
    order = world.ok(
        "POST",
        "/restriction-orders",
        registry,
        201,
        json={"name": "Nobody In This Case", "order_reference": "HCMP 1/2020", "made_on": "2020-01-02"},
    )
    return Scene(
        world=world,
        callers=callers,
        case_id=case_id,
        docketed=docketed,
        rejected=rejected,
        to_accept=to_accept["filing_id"],
        to_reject=to_reject["filing_id"],
        message_id=message_id,
        restriction_order_id=order["order_id"],
        issued=issued,
        private_document_id=accepted["documents"][0]["document_id"],
        to_seal={"case": case_to_seal, "document": to_seal["document_id"]},
        to_unseal={"case": case_to_unseal, "document": to_unseal["document_id"]},
        inspection_id=inspection["inspection_id"],
        upload_id=upload.get_json()["upload_id"],
        organisation_id=firm,
    )


@pytest.fixture(scope="module")
def scene(postgres_server: str, rabbitmq: Any, s3_settings: Any, s3_client: Any) -> Iterator[Scene]:
    """One filing service and one scene for every cell: the database, vhost and bucket live as long as
    the module (the chassis's own fixtures of those are per test)."""
    with world_of_its_own("filing-role-matrix", postgres_server, rabbitmq, s3_client, s3_settings) as world:
        yield _build(world)


@dataclass(frozen=True)
class Endpoint:
    """One call of the matrix: the path (below the API base) and body, both from the scene."""

    method: str
    path: Callable[[Scene], str]
    body: Callable[[Scene], dict[str, Any]] = lambda s: {"json": {}}

    def __call__(self, scene: Scene, who: Caller | None) -> TestResponse:
        extra = self.body(scene) if self.method in ("POST", "PUT") else {}
        return scene.world.call(self.method, self.path(scene), who, **extra)


def _json(body: dict[str, Any]) -> Callable[[Scene], dict[str, Any]]:
    return lambda s: {"json": body}


def _content(s: Scene) -> str:
    document = s.docketed["documents"][0]["document_id"]
    return f"/filings/{s.docketed['filing_id']}/documents/{document}/content"


def _paper(s: Scene) -> dict[str, Any]:
    return _multipart({**s.letter("Letter handed in"), "received_at": iso(s.world.clock.now())})


def _compare(s: Scene) -> dict[str, Any]:
    return {
        "data": {"file": (io.BytesIO(b"%PDF-1.7 not the issued copy"), "x.pdf")},
        "content_type": "multipart/form-data",
    }


def _fresh_upload(s: Scene, uploaded: bool) -> str:
    """A new upload in Chan & Co's Judiciary Cloud (its parts in the bucket when ``uploaded``): its id."""
    clerk = s.callers["ou_on"]
    assert clerk is not None
    answer = start(s.world, clerk, len(CLOUD_FILE), hashlib.sha256(CLOUD_FILE).hexdigest())
    assert answer.status_code == 201, answer.get_data(as_text=True)
    upload = answer.get_json()
    if uploaded:
        put_parts(s.world, clerk, upload, CLOUD_FILE)
    return upload["upload_id"]


def _cloud_start(s: Scene) -> dict[str, Any]:
    return {"json": {"filename": "bundle.pdf", "size": 1000, "sha256": "ab" * 32}}


ACTIONS: dict[str, Endpoint] = {
    "list_case_types": Endpoint("GET", lambda s: "/case-types"),
    "list_forms": Endpoint("GET", lambda s: "/forms"),
    "get_form": Endpoint("GET", lambda s: "/forms/writ_dcpi"),
    "list_document_types": Endpoint("GET", lambda s: "/document-types"),
    "list_rejection_reasons": Endpoint("GET", lambda s: "/rejection-reasons"),
    "deemed_receipt": Endpoint("GET", lambda s: "/calendar/deemed-receipt?at=2026-11-21T03:00:00Z"),
    "list_closures": Endpoint("GET", lambda s: "/calendar/closures"),
    # A closure far ahead of anything the scene files, so the cells do not move each other's times.
    "declare_closure": Endpoint(
        "POST",
        lambda s: "/calendar/closures",
        _json({"starts_at": "2027-07-05T01:00:00Z", "ends_at": "2027-07-05T05:00:00Z", "reason": "other"}),
    ),
    "start_case": Endpoint("POST", lambda s: "/cases", lambda s: {"json": {"case_type": "DCPI", "form": WRIT}}),
    "list_cases": Endpoint("GET", lambda s: "/cases"),
    "get_case": Endpoint("GET", lambda s: f"/cases/{s.case_id}"),
    "file_into_case": Endpoint("POST", lambda s: "/filings", lambda s: _multipart(s.letter())),
    "list_filings": Endpoint("GET", lambda s: "/filings"),
    "get_docketed_filing": Endpoint("GET", lambda s: f"/filings/{s.docketed['filing_id']}"),
    "get_rejected_filing": Endpoint("GET", lambda s: f"/filings/{s.rejected['filing_id']}"),
    "download_document": Endpoint("GET", _content),
    "copy_rejected_filing": Endpoint("POST", lambda s: f"/filings/{s.rejected['filing_id']}/copy"),
    "list_inbox": Endpoint("GET", lambda s: "/inbox"),
    "mark_message_read": Endpoint("POST", lambda s: f"/inbox/{s.message_id}/read"),
    "mark_message_unread": Endpoint("POST", lambda s: f"/inbox/{s.message_id}/unread"),
    "review_queue": Endpoint("GET", lambda s: "/review-queue"),
    "accept_filing": Endpoint("POST", lambda s: f"/filings/{s.to_accept}/accept"),
    "reject_filing": Endpoint(
        "POST", lambda s: f"/filings/{s.to_reject}/reject", _json({"reasons": ["illegible"], "message": "Rescan."})
    ),
    "upload_paper_filing": Endpoint("POST", lambda s: "/paper-filings", _paper),
    "list_restriction_orders": Endpoint("GET", lambda s: "/restriction-orders"),
    "record_restriction_order": Endpoint(
        "POST",
        lambda s: "/restriction-orders",
        _json({"name": "Someone Else Entirely", "order_reference": "HCMP 2/2020", "made_on": "2020-01-02"}),
    ),
    "revoke_restriction_order": Endpoint("POST", lambda s: f"/restriction-orders/{s.restriction_order_id}/revoke"),
    "issue_document": Endpoint(
        "POST",
        lambda s: f"/cases/{s.case_id}/issued-documents",
        lambda s: {"json": {"template": "order", "order_text": "Costs reserved.", "made_on": "2026-01-02"}},
    ),
    "list_issued_documents": Endpoint("GET", lambda s: f"/cases/{s.case_id}/issued-documents"),
    "check_drn": Endpoint("GET", lambda s: f"/drn/{s.issued['drn']}"),
    "compare_with_drn": Endpoint("POST", lambda s: f"/drn/{s.issued['drn']}", _compare),
    "get_public_document": Endpoint("GET", lambda s: f"/documents/{s.issued['document_id']}"),
    "get_private_document": Endpoint("GET", lambda s: f"/documents/{s.private_document_id}"),
    "download_issued_document": Endpoint("GET", lambda s: f"/documents/{s.issued['document_id']}/download"),
    "seal_case": Endpoint("POST", lambda s: f"/cases/{s.to_seal['case']}/seal", _json({"reason": "By order"})),
    "unseal_case": Endpoint("POST", lambda s: f"/cases/{s.to_unseal['case']}/unseal"),
    "seal_document": Endpoint(
        "POST", lambda s: f"/documents/{s.to_seal['document']}/seal", _json({"reason": "By order"})
    ),
    "unseal_document": Endpoint("POST", lambda s: f"/documents/{s.to_unseal['document']}/unseal"),
    "request_inspection": Endpoint(
        "POST", lambda s: "/inspections", lambda s: {"json": {"document_id": s.issued["document_id"]}}
    ),
    "list_inspections": Endpoint("GET", lambda s: "/inspections"),
    "get_inspection": Endpoint("GET", lambda s: f"/inspections/{s.inspection_id}"),
    "start_cloud_upload": Endpoint("POST", lambda s: "/cloud/uploads", _cloud_start),
    "cloud_part_urls": Endpoint(
        "POST", lambda s: f"/cloud/uploads/{s.upload_id}/part-urls", _json({"part_numbers": [1]})
    ),
    "complete_cloud_upload": Endpoint("POST", lambda s: f"/cloud/uploads/{_fresh_upload(s, True)}/complete"),
    "list_cloud_uploads": Endpoint("GET", lambda s: "/cloud/uploads"),
    "get_cloud_upload": Endpoint("GET", lambda s: f"/cloud/uploads/{s.upload_id}"),
    "delete_cloud_upload": Endpoint("DELETE", lambda s: f"/cloud/uploads/{_fresh_upload(s, False)}"),
    "cloud_usage": Endpoint("GET", lambda s: f"/cloud/usage?organisation_id={s.organisation_id}"),
    "set_cloud_quota": Endpoint(
        "PUT", lambda s: f"/cloud/quotas/{s.organisation_id}", _json({"quota_bytes": 30 * 2**30})
    ),
    "export_cases": Endpoint("GET", lambda s: "/export/cases"),
    "export_documents": Endpoint("GET", lambda s: "/export/documents"),
}


def test_the_matrix_covers_every_endpoint_and_every_caller(scene: Scene) -> None:
    urls = scene.world.app.url_map.bind("localhost")
    every = {rule.endpoint for rule in scene.world.app.url_map.iter_rules() if rule.rule.startswith(API)}
    covered = {
        urls.match(API + endpoint.path(scene).split("?")[0], endpoint.method)[0] for endpoint in ACTIONS.values()
    }
    assert covered == every
    assert {action for action, _, _ in CELLS} == set(ACTIONS)
    assert {role for _, role, _ in CELLS} == set(scene.callers)


@pytest.mark.parametrize(("action", "role", "status"), CELLS, ids=[f"{a}-{r}" for a, r, _ in CELLS])
def test_each_caller_gets_what_the_rules_allow(scene: Scene, action: str, role: str, status: int) -> None:
    response = ACTIONS[action](scene, scene.callers[role])
    assert response.status_code == status, response.get_data(as_text=True)
    if status in PROBLEM_KINDS:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["type"] == f"urn:icms:problem:{PROBLEM_KINDS[status]}"


# Who finds the scene's case in GET /cases.
SEES_THE_CASE = {"iu_party": True, "ou_on": True, "registry": True, "iu_other": False, "ou_off": False,
                 "ou_else": False, "pa": False, "sa": False, "help": False, "admin": False}  # fmt: skip


@pytest.mark.parametrize(("role", "sees"), SEES_THE_CASE.items())
def test_the_case_list_shows_the_case_only_to_those_who_may_open_it(scene: Scene, role: str, sees: bool) -> None:
    listed = scene.world.ok("GET", "/cases?limit=200", scene.callers[role])["cases"]
    assert (scene.case_id in [c["case_id"] for c in listed]) is sees
