"""``/inbox``: the caller's messages from the court."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from chassis.web.principal import current_principal
from chassis.web.queries import int_arg
from filing.entrypoints.api.common import BASE, bool_arg
from filing.service_layer import inbox
from filing.service_layer.access import require_account
from filing.service_layer.deps import Deps


def install(app: Flask, deps: Deps) -> None:
    @app.get(f"{BASE}/inbox")
    def list_inbox() -> Response:
        account = require_account(current_principal())
        return jsonify(
            inbox.list_messages(
                deps,
                account,
                unread_only=bool_arg("unread"),
                limit=int_arg("limit", 50, 1, 200),
                offset=int_arg("offset", 0, 0, 10**9),
            )
        )

    @app.post(f"{BASE}/inbox/<uuid:message_id>/read")
    def mark_message_read(message_id: object) -> Response:
        account = require_account(current_principal())
        return jsonify(inbox.mark(deps, account, str(message_id), read=True))

    @app.post(f"{BASE}/inbox/<uuid:message_id>/unread")
    def mark_message_unread(message_id: object) -> Response:
        account = require_account(current_principal())
        return jsonify(inbox.mark(deps, account, str(message_id), read=False))
