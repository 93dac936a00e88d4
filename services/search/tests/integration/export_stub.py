"""Filing's export as search sees it over HTTP: the two paged endpoints, served on a real port from items
a test sets, refusing any caller but the signed ``search_service`` principal as filing does. A test
may hold the documents' first page back (``hold_documents``) to act while a rebuild is under way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, abort, jsonify, request
from werkzeug.serving import make_server

from chassis.web.principal import read_principal
from chassis.web.problems import Problem

EXPORT = "/api/filing/v1/export"


class ExportStub:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.cases: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.requests: list[str] = []
        self.documents_asked = threading.Event()
        self.documents_released = threading.Event()
        self.documents_released.set()
        app = Flask(__name__)
        app.add_url_rule(f"{EXPORT}/cases", view_func=lambda: self._page(self.cases))
        app.add_url_rule(f"{EXPORT}/documents", view_func=self._documents)
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def _documents(self) -> Response:
        self.documents_asked.set()
        assert self.documents_released.wait(60), "the test never released the documents"
        return self._page(self.documents)

    def _page(self, items: list[dict[str, Any]]) -> Response:
        try:
            principal = read_principal(request.headers, request.remote_addr, self.secret, datetime.now(UTC))
        except Problem:
            abort(401)
        if not principal.authenticated:
            abort(401)
        if "search_service" not in principal.roles:
            abort(403)
        self.requests.append(request.full_path)
        start, limit = int(request.args.get("after", "0")), int(request.args["limit"])
        more = start + limit < len(items)
        return jsonify({"items": items[start : start + limit], "next_cursor": str(start + limit) if more else None})

    @contextmanager
    def hold_documents(self) -> Iterator[None]:
        """Documents are answered only once the block ends."""
        self.documents_asked.clear()
        self.documents_released.clear()
        try:
            yield
        finally:
            self.documents_released.set()

    @contextmanager
    def serving(self) -> Iterator[ExportStub]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.documents_released.set()
            self._server.shutdown()
            thread.join(timeout=10)
