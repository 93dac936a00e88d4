"""``/.well-known/jwks.json``: the public keys that verify identity's access tokens."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from identity.adapters import signing_keys
from identity.service_layer.deps import Deps


def install(app: Flask, deps: Deps) -> None:
    @app.get("/.well-known/jwks.json")
    def jwks() -> Response:
        with deps.unit_of_work() as uow:
            now = deps.now()
            keys = signing_keys.published(uow.session, now)
            if not keys:  # a fresh install: make the first key now, so verifiers never see an empty set
                signing_keys.signing_key(uow.session, now)
                keys = signing_keys.published(uow.session, now)
                uow.commit()
        response = jsonify({"keys": keys})
        # Short enough that a rotation reaches every verifier well within a token's lifetime.
        response.headers["Cache-Control"] = "public, max-age=60"
        return response
