"""``/api/search/v1``: the cause book and public documents (anyone, anonymous included) and the
caller's own cases (logged in)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request

from chassis.clock import iso
from chassis.web.principal import current_principal
from chassis.web.problems import unauthenticated
from search.domain.queries import MyCasesQuery
from search.domain.records import CaseSummary, DocumentHit, Page
from search.entrypoints.arguments import cause_book_query, document_query
from search.service_layer.deps import Deps

BASE = "/api/search/v1"


def case_json(case: CaseSummary) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "case_number": case.case_number,
        "court": case.court,
        "case_type": case.case_type,
        "title": case.title,
        "status": case.status,
        "filed_at": iso(case.filed_at),
        "parties": [
            {"name": p.name, "name_zh": p.name_zh, "role": p.role, "representative": p.representative}
            for p in case.parties
        ],
        "docket": [{"number": e.number, "title": e.title, "filed_on": e.filed_on.isoformat()} for e in case.docket],
    }


def hit_json(hit: DocumentHit) -> dict[str, Any]:
    return {
        "document_id": hit.document_id,
        "case_id": hit.case_id,
        "case_number": hit.case_number,
        "court": hit.court,
        "case_type": hit.case_type,
        "title": hit.title,
        "kind": hit.kind,
        "dated": hit.dated.isoformat(),
        "snippet": hit.snippet,
        "phrase_match": hit.phrase_match,
        "case_number_match": hit.case_number_match,
    }


def page_json(page: Page[Any], item: Any) -> Response:
    return jsonify({"items": [item(i) for i in page.items], "next_cursor": page.next_cursor})


def install(app: Flask, deps: Deps) -> None:
    store = deps.store

    @app.get(f"{BASE}/cause-book")
    def cause_book() -> Response:
        return page_json(store.cause_book(cause_book_query(request.args)), case_json)

    @app.get(f"{BASE}/documents")
    def documents() -> Response:
        return page_json(store.documents(document_query(request.args)), hit_json)

    @app.get(f"{BASE}/my-cases")
    def my_cases() -> Response:
        account = current_principal().subject
        if account is None:
            raise unauthenticated()
        return page_json(store.my_cases(MyCasesQuery(account, cause_book_query(request.args))), case_json)
