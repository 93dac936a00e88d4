"""Every identity endpoint against every kind of caller: allowed exactly where DOMAIN.md section 3
allows, refused everywhere else (401 without a usable account, 404 where the organisation's
existence must not leak to an outsider, 403 otherwise).

"Allowed" means the rules let the call through: the answer is neither 401, 403 nor 404 (a call
that is allowed but sends, say, a wrong current password gets its 400, which is still "allowed").
"""

from __future__ import annotations

import io
import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from identity_testkit import API, PASSWORD, PDF, User, World, case_event
from minio import Minio
from werkzeug.test import TestResponse

from chassis.storage import S3Settings
from chassis.testing.fixtures import RabbitMQ
from chassis.testing.infra import scratch_database
from chassis.testing.s3 import remove_bucket
from chassis.testing.skeleton import settings_for
from identity.domain.roles import (
    ASSIGN_ACROSS_BRANCHES,
    EMPOWERMENTS,
    HELP_CENTRE_OFFICER,
    REGISTRY_OFFICER,
    SYSTEM_ADMIN,
)

ACTORS = (
    "anonymous",
    "IU",
    "PA",
    "SA",
    "SA_empowered",
    "OU",
    "OU_suspended",
    "other_firm_PA",
    "help_centre_officer",
    "registry_officer",
    "system_admin",
)
MEMBERS = {"PA", "SA", "SA_empowered", "OU", "OU_suspended"}
STAFF = {"help_centre_officer", "registry_officer", "system_admin"}
ADMINS = {"PA", "SA", "SA_empowered"}
EVERYONE_WITH_AN_ACCOUNT = set(ACTORS) - {"anonymous", "OU_suspended"}


@dataclass
class Firm:
    """Organisation A, where the matrix is played out, and what the calls need from it."""

    org: str
    hq: str
    branch2: str
    pa: User
    case_id: str


class Scene:
    """The accounts and the organisation every call of the matrix is made against."""

    def __init__(self, world: World) -> None:
        self.world = world
        officer = world.staff(HELP_CENTRE_OFFICER)
        pa, decided = world.approved("organisation", officer)
        org, hq = decided["account"]["organisation_id"], decided["account"]["branch_id"]
        branch2 = world.call("POST", f"{API}/organisations/{org}/branches", pa, json={"code": "KLN", "name": "Kowloon"})
        self.firm = Firm(org, hq, branch2.json["id"], pa, "")
        # The matrix makes hundreds of accounts; the court raises the firm's limits first.
        raised = world.call(
            "POST",
            f"{API}/organisations/{org}/quota-requests",
            pa,
            json={
                "primary_admins": 100,
                "secondary_admins": 500,
                "organisation_users": 2000,
                "branches": 500,
                "reason": "a large firm",
            },
        )
        assert (
            world.call(
                "POST", f"{API}/organisations/{org}/quota-requests/{raised.json['id']}/approve", officer, json={}
            ).status_code
            == 200
        )
        self.requests = itertools.count(3000)
        sa = world.member(pa, org, "SA", hq)
        sa_empowered = world.member(pa, org, "SA", hq)
        empowered = world.call(
            "PUT",
            f"{API}/organisations/{org}/accounts/{sa_empowered.id}/empowerments",
            pa,
            json={"empowerments": list(EMPOWERMENTS)},
        )
        assert empowered.status_code == 200, empowered.json
        ou = world.member(pa, org, "OU", hq)
        ou_suspended = world.member(pa, org, "OU", hq)
        # Logged in first, suspended after: its token is still unexpired, and must not work.
        assert (
            world.call(
                "POST",
                f"{API}/organisations/{org}/accounts/{ou_suspended.id}/suspend",
                pa,
                json={"reason": "left the firm"},
            ).status_code
            == 200
        )
        other_pa, _ = world.approved("organisation", officer)
        iu, _ = world.approved("individual", officer)
        self.users: dict[str, User | None] = {
            "anonymous": None,
            "IU": iu,
            "PA": pa,
            "SA": sa,
            "SA_empowered": sa_empowered,
            "OU": ou,
            "OU_suspended": ou_suspended,
            "other_firm_PA": other_pa,
            "help_centre_officer": officer,
            "registry_officer": world.staff(REGISTRY_OFFICER),
            "system_admin": world.staff(SYSTEM_ADMIN),
        }
        case = case_event("DCPI 77/2026", [org])
        world.deliver(case)
        self.firm.case_id = case.data["case_id"]
        self.officer = officer

    # Fresh targets, made by the PA or the officer, so that no call depends on another's effects.

    def new_account(self, role: str, branch: str | None = None) -> str:
        name = f"t{uuid.uuid4().hex[:10]}"
        answer = self.world.call(
            "POST",
            f"{API}/organisations/{self.firm.org}/accounts",
            self.firm.pa,
            json={
                "username": name,
                "password": PASSWORD,
                "display_name": name,
                "email": f"{name}@firm.example",
                "role": role,
                "branch_id": branch or self.firm.hq,
            },
        )
        assert answer.status_code == 201, answer.json
        return answer.json["id"]

    def new_registration(self) -> dict[str, Any]:
        answer = self.world.register()
        assert answer.status_code == 201, answer.json
        return answer.json

    def new_quota_request(self) -> str:
        answer = self.world.call(
            "POST",
            f"{API}/organisations/{self.firm.org}/quota-requests",
            self.firm.pa,
            json={"organisation_users": next(self.requests), "reason": "growth"},
        )
        assert answer.status_code == 201, answer.json
        return answer.json["id"]

    def assigned(self, account_id: str) -> str:
        answer = self.world.call(
            "POST",
            f"{API}/organisations/{self.firm.org}/case-assignments",
            self.firm.pa,
            json={"case_id": self.firm.case_id, "account_id": account_id},
        )
        assert answer.status_code == 201, answer.json
        return account_id


Call = Callable[[Scene, User | None], TestResponse]


@dataclass(frozen=True)
class Rule:
    """One endpoint: how to call it, who may, and how outsiders are refused."""

    name: str
    call: Call
    allowed: frozenset[str]
    # "organisation": non-members without a staff role get 404; "global": everyone refused gets 403.
    scope: str = "organisation"


def org_path(scene: Scene, rest: str = "") -> str:
    return f"{API}/organisations/{scene.firm.org}{rest}"


def _registration_call(scene: Scene, user: User | None) -> TestResponse:
    files = {"court_document": (io.BytesIO(PDF), "writ.pdf")}
    name = f"r{uuid.uuid4().hex[:10]}"
    application = {
        "kind": "individual",
        "username": name,
        "password": PASSWORD,
        "display_name": name,
        "email": f"{name}@example.com",
    }
    return scene.world.call(
        "POST",
        f"{API}/registrations",
        user,
        data={"application": json.dumps(application), **files},
        content_type="multipart/form-data",
    )


def _document_call(scene: Scene, user: User | None) -> TestResponse:
    registration = scene.new_registration()
    detail = scene.world.call("GET", f"{API}/registrations/{registration['id']}", scene.officer).json
    document = detail["documents"][0]["id"]
    return scene.world.call("GET", f"{API}/registrations/{registration['id']}/documents/{document}", user)


def _c(method: str, path: Callable[[Scene], str], body: Callable[[Scene], Any] | None = None) -> Call:
    def call(scene: Scene, user: User | None) -> TestResponse:
        return scene.world.call(method, path(scene), user, **({"json": body(scene)} if body else {}))

    return call


def _new_account_body(role: str, branch: Callable[[Scene], str] = lambda s: s.firm.hq) -> Callable[[Scene], Any]:
    def body(scene: Scene) -> dict[str, Any]:
        name = f"n{uuid.uuid4().hex[:10]}"
        return {
            "username": name,
            "password": PASSWORD,
            "display_name": name,
            "email": f"{name}@firm.example",
            "role": role,
            "branch_id": branch(scene),
        }

    return body


HCO = frozenset({"help_centre_officer"})
ORG_READERS = frozenset(ADMINS | {"help_centre_officer"})
ADMIN = frozenset(ADMINS)
PA_ONLY = frozenset({"PA"})
PA_OR_EMPOWERED = frozenset({"PA", "SA_empowered"})

RULES = [
    Rule("jwks", _c("GET", lambda s: "/.well-known/jwks.json"), frozenset(ACTORS), "global"),
    Rule("register", _registration_call, frozenset(ACTORS), "global"),
    Rule("list registrations", _c("GET", lambda s: f"{API}/registrations"), HCO, "global"),
    Rule("read registration", _c("GET", lambda s: f"{API}/registrations/{s.new_registration()['id']}"), HCO, "global"),
    Rule("read registration document", _document_call, HCO, "global"),
    Rule(
        "approve registration",
        _c("POST", lambda s: f"{API}/registrations/{s.new_registration()['id']}/approve", lambda s: {}),
        HCO,
        "global",
    ),
    Rule(
        "reject registration",
        _c(
            "POST",
            lambda s: f"{API}/registrations/{s.new_registration()['id']}/reject",
            lambda s: {"reason": "documents unreadable"},
        ),
        HCO,
        "global",
    ),
    Rule("read me", _c("GET", lambda s: f"{API}/me"), frozenset(EVERYONE_WITH_AN_ACCOUNT), "global"),
    Rule(
        "change password",
        _c(
            "POST",
            lambda s: f"{API}/me/password",
            lambda s: {"current_password": "not the password", "new_password": "x" * 20},
        ),
        frozenset(EVERYONE_WITH_AN_ACCOUNT),
        "global",
    ),
    Rule("start TOTP enrolment", _c("POST", lambda s: f"{API}/me/totp"), frozenset(EVERYONE_WITH_AN_ACCOUNT), "global"),
    Rule("read organisation", _c("GET", lambda s: org_path(s)), ORG_READERS),
    Rule("list accounts", _c("GET", lambda s: org_path(s, "/accounts")), ORG_READERS),
    Rule("read account", _c("GET", lambda s: org_path(s, f"/accounts/{s.firm.pa.id}")), ORG_READERS),
    Rule("create OU", _c("POST", lambda s: org_path(s, "/accounts"), _new_account_body("OU")), ADMIN),
    Rule("create SA", _c("POST", lambda s: org_path(s, "/accounts"), _new_account_body("SA")), PA_OR_EMPOWERED),
    Rule("create PA", _c("POST", lambda s: org_path(s, "/accounts"), _new_account_body("PA")), PA_ONLY),
    Rule(
        "edit OU",
        _c("PATCH", lambda s: org_path(s, f"/accounts/{s.new_account('OU')}"), lambda s: {"display_name": "Renamed"}),
        ADMIN,
    ),
    Rule(
        "suspend OU", _c("POST", lambda s: org_path(s, f"/accounts/{s.new_account('OU')}/suspend"), lambda s: {}), ADMIN
    ),
    Rule(
        "suspend SA",
        _c("POST", lambda s: org_path(s, f"/accounts/{s.new_account('SA')}/suspend"), lambda s: {}),
        PA_OR_EMPOWERED,
    ),
    Rule(
        "reactivate OU",
        _c("POST", lambda s: org_path(s, f"/accounts/{s.new_account('OU')}/reactivate"), lambda s: {}),
        ADMIN,
    ),
    Rule(
        "empower SA",
        _c(
            "PUT",
            lambda s: org_path(s, f"/accounts/{s.new_account('SA')}/empowerments"),
            lambda s: {"empowerments": [ASSIGN_ACROSS_BRANCHES]},
        ),
        PA_ONLY,
    ),
    Rule("list branches", _c("GET", lambda s: org_path(s, "/branches")), ORG_READERS),
    Rule(
        "create branch",
        _c(
            "POST", lambda s: org_path(s, "/branches"), lambda s: {"code": f"B{uuid.uuid4().hex[:6]}", "name": "Branch"}
        ),
        PA_ONLY,
    ),
    Rule("list default users", _c("GET", lambda s: org_path(s, "/default-users")), ORG_READERS),
    Rule(
        "set default user",
        _c("PUT", lambda s: org_path(s, f"/default-users/{s.firm.hq}"), lambda s: {"account_id": s.new_account("OU")}),
        PA_OR_EMPOWERED,
    ),
    Rule(
        "request quota",
        _c("POST", lambda s: org_path(s, "/quota-requests"), lambda s: {"branches": 20, "reason": "new offices"}),
        PA_ONLY,
    ),
    Rule("list quota requests", _c("GET", lambda s: org_path(s, "/quota-requests")), ORG_READERS),
    Rule("list every quota request", _c("GET", lambda s: f"{API}/quota-requests"), HCO, "global"),
    Rule(
        "approve quota request",
        _c("POST", lambda s: org_path(s, f"/quota-requests/{s.new_quota_request()}/approve"), lambda s: {}),
        HCO,
        "global",
    ),
    Rule(
        "reject quota request",
        _c(
            "POST",
            lambda s: org_path(s, f"/quota-requests/{s.new_quota_request()}/reject"),
            lambda s: {"note": "not justified"},
        ),
        HCO,
        "global",
    ),
    Rule("list cases on record", _c("GET", lambda s: org_path(s, "/cases")), ADMIN),
    Rule("list case assignments", _c("GET", lambda s: org_path(s, "/case-assignments")), ADMIN),
    Rule(
        "assign case in own branch",
        _c(
            "POST",
            lambda s: org_path(s, "/case-assignments"),
            lambda s: {"case_id": s.firm.case_id, "account_id": s.new_account("OU")},
        ),
        ADMIN,
    ),
    Rule(
        "assign case across branches",
        _c(
            "POST",
            lambda s: org_path(s, "/case-assignments"),
            lambda s: {"case_id": s.firm.case_id, "account_id": s.new_account("OU", s.firm.branch2)},
        ),
        PA_OR_EMPOWERED,
    ),
    Rule(
        "unassign case",
        _c("DELETE", lambda s: org_path(s, f"/case-assignments/{s.firm.case_id}/{s.assigned(s.new_account('OU'))}")),
        ADMIN,
    ),
    Rule("read organisation audit", _c("GET", lambda s: org_path(s, "/audit")), frozenset({"PA"} | STAFF)),
    Rule("read whole audit log", _c("GET", lambda s: f"{API}/audit"), frozenset(STAFF), "global"),
]


def expected_refusal(rule: Rule, actor: str) -> int:
    if actor in {"anonymous", "OU_suspended"}:
        return 401
    if rule.scope == "organisation" and actor not in MEMBERS and actor not in STAFF:
        return 404  # an outsider cannot even learn that the organisation exists
    return 403


@pytest.fixture(scope="module")
def scene(postgres_server: str, rabbitmq: RabbitMQ, s3_settings: S3Settings, s3_client: Minio) -> Iterator[Scene]:
    # One scene for the whole matrix, on a database, vhost and bucket of its own: building it
    # (accounts, logins) is the slow part, and every call makes its own fresh targets.
    vhost = f"t_{uuid.uuid4().hex[:12]}"
    bucket = f"t-matrix-{uuid.uuid4().hex[:12]}"
    rabbitmq.add_vhost(vhost)
    s3_client.make_bucket(bucket)
    try:
        with scratch_database(postgres_server) as url:
            world = World(settings_for("identity", url, rabbitmq.url(vhost), s3_settings, bucket, uses_storage=True))
            try:
                yield Scene(world)
            finally:
                world.close()
    finally:
        rabbitmq.delete_vhost(vhost)
        remove_bucket(s3_client, bucket)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_each_endpoint_allows_exactly_the_roles_domain_section_3_allows(scene: Scene, rule: Rule) -> None:
    outcomes: dict[str, tuple[int, Any]] = {}
    for actor in ACTORS:
        answer = rule.call(scene, scene.users[actor])
        outcomes[actor] = (answer.status_code, answer.json if answer.is_json else None)
    wrong = {}
    for actor, (status, body) in outcomes.items():
        if actor in rule.allowed:
            if status in (401, 403, 404) or status >= 500:
                wrong[actor] = (f"allowed, got {status}", body)
        else:
            want = expected_refusal(rule, actor)
            if status != want:
                wrong[actor] = (f"should be refused with {want}, got {status}", body)
            elif body is None or "type" not in body:
                wrong[actor] = ("refusal is not problem+json", body)
    assert not wrong, wrong
