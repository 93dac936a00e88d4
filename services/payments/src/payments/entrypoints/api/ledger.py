"""``/ledger``: the double-entry ledger as the registry and system administrators read it."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from chassis.web.principal import current_principal
from payments.entrypoints.api.common import BASE
from payments.service_layer import trial_balance
from payments.service_layer.deps import Deps


def install(app: Flask, deps: Deps) -> None:
    @app.get(f"{BASE}/ledger/trial-balance")
    def get_trial_balance() -> Response:
        return jsonify(trial_balance.trial_balance(deps, current_principal()))
