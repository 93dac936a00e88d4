"""Filing's Idempotency-Keys, kept in its own ``idempotency_keys`` table (the rule is the chassis's)."""

from __future__ import annotations

from chassis.idempotency import IdempotencyKeys, Replay, checked_key, fingerprint
from filing.adapters.tables import IdempotencyKey

__all__ = ["Replay", "checked_key", "earlier", "fingerprint", "remember"]

_keys = IdempotencyKeys(IdempotencyKey)
earlier = _keys.earlier
remember = _keys.remember
