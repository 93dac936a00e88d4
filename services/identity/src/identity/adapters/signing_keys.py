"""The Ed25519 keys access tokens are signed with, kept in identity's database, and the JWKS.

One key signs at a time (the newest). Rotation adds a new key and retires the old one from
signing, but keeps the old one published until every token it signed has expired, so nobody is
logged out; verifiers that meet the new ``kid`` fetch the JWKS again.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy.orm import Session

from identity.adapters.tables import SigningKey

ALGORITHM = "EdDSA"


def new_key(now: datetime) -> SigningKey:
    """A fresh Ed25519 key pair as a row, its ``kid`` random so it says nothing about order."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    kid = uuid.uuid4().hex
    jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid=kid, alg=ALGORITHM, use="sig")
    return SigningKey(kid=kid, private_pem=pem, public_jwk=jwk, created_at=now)


def signing_key(session: Session, now: datetime) -> SigningKey:
    """The key that signs now; the first call on an empty table creates one."""
    key = session.scalars(
        sa.select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at.desc())
    ).first()
    if key is None:
        key = new_key(now)
        session.add(key)
        session.flush()
    return key


def rotate(session: Session, now: datetime, token_lifetime: timedelta) -> SigningKey:
    """Start signing with a new key; the old ones stay published for one token lifetime plus a margin."""
    for old in session.scalars(sa.select(SigningKey).where(SigningKey.retired_at.is_(None))):
        old.retired_at = now
        old.unpublish_at = now + token_lifetime + timedelta(minutes=5)
    key = new_key(now)
    session.add(key)
    session.flush()
    return key


def published(session: Session, now: datetime) -> list[dict[str, Any]]:
    """The public keys verifiers must know: the signing key and every retired key still in use."""
    keys = session.scalars(
        sa.select(SigningKey)
        .where(sa.or_(SigningKey.unpublish_at.is_(None), SigningKey.unpublish_at > now))
        .order_by(SigningKey.created_at.desc())
    )
    return [key.public_jwk for key in keys]


def sign(key: SigningKey, claims: dict[str, Any]) -> str:
    """``claims`` as a compact JWS signed by ``key``."""
    return jwt.encode(claims, key.private_pem, algorithm=ALGORITHM, headers={"kid": key.kid})
