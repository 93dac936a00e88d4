"""Search's settings, read from the environment when the process is wired."""

from __future__ import annotations

from collections.abc import Mapping

from chassis.service import ServiceSettings, load_settings

SERVICE = "search"


def load(environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """Search's settings; it keeps no documents (public text comes by reference)."""
    return load_settings(SERVICE, uses_storage=False, environ=environ)
