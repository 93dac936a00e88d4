"""Identity's settings, read from the environment when the process is wired."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chassis.config import ConfigError, env_int
from chassis.service import ServiceSettings, load_settings

SERVICE = "identity"

#: The access token's lifetime may not exceed this (the issue's limit), whatever the environment says.
MAX_ACCESS_TOKEN_SECONDS = 900


@dataclass(frozen=True)
class PasswordCost:
    """argon2id parameters. The default is OWASP's first choice for argon2id (46 MiB, 1 pass,
    1 lane): about 45 ms a hash on these machines, so a login costs one core that long and a
    leaked hash costs an attacker 46 MiB of memory per guess."""

    time_cost: int = 1
    memory_kib: int = 47_104
    parallelism: int = 1


@dataclass(frozen=True)
class IdentitySettings:
    """The chassis's service settings plus identity's own."""

    service: ServiceSettings
    access_token_seconds: int = 600
    refresh_token_days: int = 14
    lockout_failures: int = 5
    lockout_minutes: int = 15
    password_cost: PasswordCost = PasswordCost()
    max_document_bytes: int = 10 * 1024 * 1024
    max_documents: int = 10


def load(environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """Identity's chassis settings; registration documents live in its own bucket."""
    return load_settings(SERVICE, uses_storage=True, environ=environ)


def load_identity(environ: Mapping[str, str] | None = None, service: ServiceSettings | None = None) -> IdentitySettings:
    """Every setting identity reads, failing fast on anything malformed."""
    access = env_int("ICMS_IDENTITY_ACCESS_TOKEN_SECONDS", 600, environ)
    if not 60 <= access <= MAX_ACCESS_TOKEN_SECONDS:
        raise ConfigError(f"ICMS_IDENTITY_ACCESS_TOKEN_SECONDS must be 60..{MAX_ACCESS_TOKEN_SECONDS}, got {access}")
    cost = PasswordCost(
        time_cost=env_int("ICMS_IDENTITY_ARGON2_TIME_COST", PasswordCost.time_cost, environ),
        memory_kib=env_int("ICMS_IDENTITY_ARGON2_MEMORY_KIB", PasswordCost.memory_kib, environ),
        parallelism=env_int("ICMS_IDENTITY_ARGON2_PARALLELISM", PasswordCost.parallelism, environ),
    )
    if cost.time_cost < 1 or cost.memory_kib < 19_456 or cost.parallelism < 1:
        raise ConfigError("argon2 cost below OWASP's floor (time >= 1, memory >= 19456 KiB, parallelism >= 1)")
    return IdentitySettings(
        service=service or load(environ),
        access_token_seconds=access,
        refresh_token_days=env_int("ICMS_IDENTITY_REFRESH_TOKEN_DAYS", 14, environ),
        lockout_failures=env_int("ICMS_IDENTITY_LOCKOUT_FAILURES", 5, environ),
        lockout_minutes=env_int("ICMS_IDENTITY_LOCKOUT_MINUTES", 15, environ),
        password_cost=cost,
    )
