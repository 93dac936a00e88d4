"""``/api/identity/v1/organisations/{org_id}/...``, the Help Centre's quota queue and the audit log."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from chassis.web.queries import int_arg
from identity.entrypoints import bodies
from identity.entrypoints.api.common import account, caller, text_args
from identity.service_layer import case_assignments, errors, organisations
from identity.service_layer.deps import Deps

API = "/api/identity/v1"
ORG = f"{API}/organisations/<uuid:org_id>"
QUOTA_STATUSES = ("pending", "approved", "rejected")


def _status_arg() -> str | None:
    status = request.args.get("status")
    if status is not None and status not in QUOTA_STATUSES:
        raise errors.invalid_field("status", f"must be one of {', '.join(QUOTA_STATUSES)}")
    return status


def install(app: Flask, deps: Deps) -> None:
    @app.get(ORG)
    def get_organisation(org_id: object) -> Response:
        return jsonify(organisations.view(deps, account(deps), str(org_id)))

    @app.get(f"{ORG}/accounts")
    def list_accounts(org_id: object) -> Response:
        filters = text_args("role", "branch_id", "status")
        return jsonify({"items": organisations.list_accounts(deps, account(deps), str(org_id), filters)})

    @app.post(f"{ORG}/accounts")
    def create_account(org_id: object) -> tuple[Response, int]:
        me = account(deps)
        body = bodies.json_body(bodies.NEW_ACCOUNT)
        return jsonify(organisations.create_account(deps, caller(), me, str(org_id), body)), 201

    @app.get(f"{ORG}/accounts/<uuid:account_id>")
    def get_account(org_id: object, account_id: object) -> Response:
        return jsonify(organisations.get_account(deps, account(deps), str(org_id), str(account_id)))

    @app.patch(f"{ORG}/accounts/<uuid:account_id>")
    def update_account(org_id: object, account_id: object) -> Response:
        me = account(deps)
        body = bodies.json_body(bodies.ACCOUNT_CHANGE)
        return jsonify(organisations.update_account(deps, caller(), me, str(org_id), str(account_id), body))

    @app.post(f"{ORG}/accounts/<uuid:account_id>/suspend")
    def suspend_account(org_id: object, account_id: object) -> Response:
        me = account(deps)
        reason = bodies.json_body(bodies.SUSPENSION).get("reason", "")
        return jsonify(organisations.set_status(deps, caller(), me, str(org_id), str(account_id), True, reason))

    @app.post(f"{ORG}/accounts/<uuid:account_id>/reactivate")
    def reactivate_account(org_id: object, account_id: object) -> Response:
        me = account(deps)
        bodies.json_body(bodies.DECISION)
        return jsonify(organisations.set_status(deps, caller(), me, str(org_id), str(account_id), False))

    @app.put(f"{ORG}/accounts/<uuid:account_id>/empowerments")
    def set_empowerments(org_id: object, account_id: object) -> Response:
        me = account(deps)
        body = bodies.json_body(bodies.EMPOWERMENT)
        return jsonify(
            organisations.set_empowerments(deps, caller(), me, str(org_id), str(account_id), body["empowerments"])
        )

    @app.get(f"{ORG}/branches")
    def list_branches(org_id: object) -> Response:
        return jsonify({"items": organisations.list_branches(deps, account(deps), str(org_id))})

    @app.post(f"{ORG}/branches")
    def create_branch(org_id: object) -> tuple[Response, int]:
        me = account(deps)
        body = bodies.json_body(bodies.NEW_BRANCH)
        return jsonify(organisations.create_branch(deps, caller(), me, str(org_id), body)), 201

    @app.get(f"{ORG}/default-users")
    def list_default_users(org_id: object) -> Response:
        return jsonify({"items": organisations.list_default_users(deps, account(deps), str(org_id))})

    @app.put(f"{ORG}/default-users/<uuid:branch_id>")
    def set_default_user(org_id: object, branch_id: object) -> Response:
        me = account(deps)
        body = bodies.json_body(bodies.DEFAULT_USER)
        return jsonify(
            organisations.set_default_user(deps, caller(), me, str(org_id), str(branch_id), body["account_id"])
        )

    @app.get(f"{ORG}/quota-requests")
    def list_quota_requests(org_id: object) -> Response:
        return jsonify({"items": organisations.list_quota_requests(deps, account(deps), str(org_id), _status_arg())})

    @app.post(f"{ORG}/quota-requests")
    def request_quota(org_id: object) -> tuple[Response, int]:
        me = account(deps)
        body = bodies.json_body(bodies.QUOTA_REQUEST)
        return jsonify(organisations.request_quota(deps, caller(), me, str(org_id), body)), 201

    @app.post(f"{ORG}/quota-requests/<uuid:request_id>/approve")
    def approve_quota_request(org_id: object, request_id: object) -> Response:
        me = account(deps)
        note = bodies.json_body(bodies.DECISION).get("note", "")
        return jsonify(organisations.decide_quota(deps, caller(), me, str(org_id), str(request_id), True, note))

    @app.post(f"{ORG}/quota-requests/<uuid:request_id>/reject")
    def reject_quota_request(org_id: object, request_id: object) -> Response:
        me = account(deps)
        note = bodies.json_body(bodies.DECISION).get("note", "")
        return jsonify(organisations.decide_quota(deps, caller(), me, str(org_id), str(request_id), False, note))

    @app.get(f"{API}/quota-requests")
    def list_all_quota_requests() -> Response:
        return jsonify({"items": organisations.list_quota_requests(deps, account(deps), None, _status_arg())})

    @app.get(f"{ORG}/cases")
    def list_organisation_cases(org_id: object) -> Response:
        return jsonify({"items": case_assignments.list_cases(deps, account(deps), str(org_id))})

    @app.get(f"{ORG}/case-assignments")
    def list_case_assignments(org_id: object) -> Response:
        filters = text_args("case_id", "account_id")
        return jsonify({"items": case_assignments.list_assignments(deps, account(deps), str(org_id), filters)})

    @app.post(f"{ORG}/case-assignments")
    def assign_case(org_id: object) -> tuple[Response, int]:
        me = account(deps)
        body = bodies.json_body(bodies.ASSIGNMENT)
        return jsonify(
            case_assignments.assign(deps, caller(), me, str(org_id), body["case_id"], body["account_id"])
        ), 201

    @app.delete(f"{ORG}/case-assignments/<uuid:case_id>/<uuid:account_id>")
    def unassign_case(org_id: object, case_id: object, account_id: object) -> tuple[str, int]:
        case_assignments.unassign(deps, caller(), account(deps), str(org_id), str(case_id), str(account_id))
        return "", 204

    @app.get(f"{ORG}/audit")
    def organisation_audit(org_id: object) -> Response:
        me = account(deps)
        return jsonify(organisations.read_audit(deps, me, str(org_id), int_arg("limit", 50, 1, 200), _before()))

    @app.get(f"{API}/audit")
    def audit_log() -> Response:
        me = account(deps)
        return jsonify(organisations.read_audit(deps, me, None, int_arg("limit", 50, 1, 200), _before()))


def _before() -> int | None:
    return int_arg("before", 0, 1, 2**62) or None
