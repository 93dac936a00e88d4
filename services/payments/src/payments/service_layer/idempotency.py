"""Payments's Idempotency-Keys, kept in its own ``idempotency_keys`` table (the rule is the chassis's).

Every POST that moves money requires a key: a client that cannot tell whether its first try went
through must be able to send it again without paying twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from chassis.db import UnitOfWork
from chassis.idempotency import IdempotencyKeys, Replay, checked_key, fingerprint
from payments.adapters.tables import IdempotencyKey
from payments.service_layer import errors
from payments.service_layer.deps import Deps

__all__ = ["Answer", "Replay", "earlier", "fingerprint", "once", "remember", "required_key"]

#: An endpoint's answer: HTTP status and JSON body.
Answer = tuple[int, dict[str, Any]]

_keys = IdempotencyKeys(IdempotencyKey)
earlier = _keys.earlier
remember = _keys.remember


def required_key(raw: str | None) -> str:
    """The header's key; 400 if it is missing or malformed."""
    key = checked_key(raw)
    if key is None:
        raise errors.idempotency_key_required()
    return key


def once(
    deps: Deps, scope: str, key: str, operation: str, print_: str, act: Callable[[UnitOfWork], Answer | Replay]
) -> Answer:
    """``act`` in a unit of work whose answer is kept under the key in the same transaction; a retry gets it.

    Of racing requests with one key exactly one commits: the others fail on the key's primary key (or on
    another unique key the winner took), roll back everything, and go round once more to find the
    winner's answer. ``act`` returns a ``Replay`` when it finds that answer itself, after waiting for a
    lock the winner held.
    """
    try:
        return _attempt(deps, scope, key, operation, print_, act)
    except IntegrityError:
        return _attempt(deps, scope, key, operation, print_, act)


def _attempt(
    deps: Deps, scope: str, key: str, operation: str, print_: str, act: Callable[[UnitOfWork], Answer | Replay]
) -> Answer:
    with deps.unit_of_work() as uow:
        replay = earlier(uow.session, scope, key, operation, print_)
        if replay is None:
            answer = act(uow)
            if not isinstance(answer, Replay):
                remember(uow.session, scope, key, operation, print_, *answer, deps.now())
                uow.commit()
                return answer
            replay = answer
        return replay.status, replay.body
