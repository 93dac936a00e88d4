"""Payments's settings, read from the environment when the process is wired."""

from __future__ import annotations

from collections.abc import Mapping

from chassis.service import ServiceSettings, load_settings

SERVICE = "payments"


def load(environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """Payments's settings; receipts live in its own bucket."""
    return load_settings(SERVICE, uses_storage=True, environ=environ)
