"""Password hashing with argon2id (argon2-cffi)."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from identity.config import PasswordCost


class Passwords:
    """Hashes and checks passwords at the configured cost."""

    def __init__(self, cost: PasswordCost) -> None:
        self._hasher = PasswordHasher(
            time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism, type=Type.ID
        )

    @functools.cached_property
    def _decoy(self) -> str:
        # Checked against when the username is unknown, so that an unknown user takes as long to
        # refuse as a wrong password does. Made on first need: every process wires identity, few log anyone in.
        return self._hasher.hash("decoy password that matches nothing")

    def hash(self, password: str) -> str:
        """An argon2id hash of ``password`` with a fresh salt."""
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; with ``stored`` None, spend the same time and say no."""
        try:
            return self._hasher.verify(stored or self._decoy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
