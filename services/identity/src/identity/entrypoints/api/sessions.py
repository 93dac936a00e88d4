"""``/api/identity/v1/sessions`` and ``/me``: logging in and out, tokens, the caller's own account."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from chassis.web.principal import current_principal
from identity.entrypoints import bodies
from identity.entrypoints.api.common import caller
from identity.service_layer import sessions
from identity.service_layer.authentication import active_account
from identity.service_layer.deps import Deps

BASE = "/api/identity/v1"


def install(app: Flask, deps: Deps) -> None:
    @app.post(f"{BASE}/sessions")
    def login() -> tuple[Response, int]:
        body = bodies.json_body(bodies.LOGIN)
        tokens = sessions.login(deps, caller(), body["username"], body["password"], body.get("totp_code"))
        return _no_store(jsonify(tokens.as_json())), 201

    @app.post(f"{BASE}/sessions/refresh")
    def refresh_session() -> Response:
        body = bodies.json_body(bodies.REFRESH)
        return _no_store(jsonify(sessions.refresh(deps, caller(), body["refresh_token"]).as_json()))

    @app.delete(f"{BASE}/sessions/current")
    def logout() -> tuple[str, int]:
        with deps.unit_of_work() as uow:
            me = active_account(uow.session, current_principal())
            sessions.logout(deps, caller(), me, uow.session, deps.now())
            uow.commit()
        return "", 204

    @app.get(f"{BASE}/me")
    def me() -> Response:
        with deps.unit_of_work() as uow:
            return jsonify(sessions.me(uow.session, active_account(uow.session, current_principal())))

    @app.post(f"{BASE}/me/password")
    def change_password() -> tuple[str, int]:
        body = bodies.json_body(bodies.PASSWORD_CHANGE)
        with deps.unit_of_work() as uow:
            me = active_account(uow.session, current_principal())
            try:
                sessions.change_password(
                    deps, caller(), me, uow.session, body["current_password"], body["new_password"]
                )
            finally:
                uow.commit()  # a failed attempt is audited too; nothing else has changed then
        return "", 204

    @app.post(f"{BASE}/me/totp")
    def start_totp() -> tuple[Response, int]:
        with deps.unit_of_work() as uow:
            enrolment = sessions.start_totp(
                deps, caller(), active_account(uow.session, current_principal()), uow.session
            )
            uow.commit()
        return _no_store(jsonify(enrolment)), 201

    @app.post(f"{BASE}/me/totp/confirm")
    def confirm_totp() -> tuple[str, int]:
        body = bodies.json_body(bodies.TOTP_CONFIRM)
        with deps.unit_of_work() as uow:
            sessions.confirm_totp(
                deps, caller(), active_account(uow.session, current_principal()), uow.session, body["code"]
            )
            uow.commit()
        return "", 204


def _no_store(response: Response) -> Response:
    # Tokens and secrets must not sit in any cache on the way.
    response.headers["Cache-Control"] = "no-store"
    return response
