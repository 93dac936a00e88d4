"""Reading settings from the environment, failing fast with a message that names the variable.

Settings are read when a process is wired (``bootstrap``), never at import time, so tests can set the
environment first and a misconfigured process stops at start-up instead of at its first request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_MISSING = object()


class ConfigError(RuntimeError):
    """A required setting is absent or malformed."""


def env_str(name: str, default: str | object = _MISSING, environ: Mapping[str, str] | None = None) -> str:
    """The variable ``name``, or ``default``; without a default an absent or empty value is an error."""
    value = (os.environ if environ is None else environ).get(name, "")
    if value != "":
        return value
    if default is _MISSING:
        raise ConfigError(f"environment variable {name} is required but not set")
    return default  # type: ignore[return-value]


def env_int(name: str, default: int | object = _MISSING, environ: Mapping[str, str] | None = None) -> int:
    """The variable ``name`` as an integer."""
    raw = env_str(name, _MISSING if default is _MISSING else str(default), environ)
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float | object = _MISSING, environ: Mapping[str, str] | None = None) -> float:
    """The variable ``name`` as a float (durations in seconds)."""
    raw = env_str(name, _MISSING if default is _MISSING else str(default), environ)
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be a number, got {raw!r}") from None


def env_bool(name: str, default: bool | object = _MISSING, environ: Mapping[str, str] | None = None) -> bool:
    """The variable ``name`` as a boolean: 1/true/yes/on or 0/false/no/off."""
    raw = env_str(name, _MISSING if default is _MISSING else str(default), environ).strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"environment variable {name} must be a boolean, got {raw!r}")


def contracts_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the event schemas live: ``ICMS_CONTRACTS_DIR``, else the repository's ``contracts/``.

    The fallback serves editable installs from a checkout (``make run``, ``make test``); images set
    the variable explicitly.
    """
    configured = env_str("ICMS_CONTRACTS_DIR", "", environ)
    path = Path(configured) if configured else Path(__file__).resolve().parents[4] / "contracts"
    if not (path / "events").is_dir():
        raise ConfigError(
            f"contracts directory {path} has no events/ folder; set ICMS_CONTRACTS_DIR to the repository's contracts/"
        )
    return path
