"""The outbox and inbox tables every service carries in its own database."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# BIGINT on PostgreSQL; plain INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _outbox_columns() -> list[Any]:
    return [
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(64), nullable=False, unique=True),
        # Events of one stream (the envelope's subject: one aggregate) are published in id order.
        sa.Column("stream", sa.String(300), nullable=False),
        sa.Column("exchange", sa.String(200), nullable=False),
        sa.Column("routing_key", sa.String(300), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _inbox_columns() -> list[Any]:
    return [
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _attempt_columns() -> list[Any]:
    return [
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
    ]


def _pending_index_kwargs(published_at: Any) -> dict[str, Any]:
    # A partial index keeps the relay's "oldest unpublished first" scan small however many sent
    # rows are retained.
    return {"postgresql_where": published_at.is_(None), "sqlite_where": published_at.is_(None)}


def add_messaging_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """Declare ``outbox``, ``inbox`` and ``inbox_attempts`` on a service's metadata; returns (outbox, inbox)."""
    outbox = sa.Table("outbox", metadata, *_outbox_columns())
    sa.Index("ix_outbox_pending", outbox.c.id, **_pending_index_kwargs(outbox.c.published_at))
    sa.Index("ix_outbox_stream_pending", outbox.c.stream, outbox.c.id, **_pending_index_kwargs(outbox.c.published_at))
    inbox = sa.Table("inbox", metadata, *_inbox_columns())
    sa.Table("inbox_attempts", metadata, *_attempt_columns())
    return outbox, inbox


def create_messaging_tables(op: Any) -> None:
    """Alembic migration step creating both tables; call from a service's first migration."""
    op.create_table("outbox", *_outbox_columns())
    published_at = sa.column("published_at")
    op.create_index("ix_outbox_pending", "outbox", ["id"], **_pending_index_kwargs(published_at))
    op.create_index("ix_outbox_stream_pending", "outbox", ["stream", "id"], **_pending_index_kwargs(published_at))
    op.create_table("inbox", *_inbox_columns())
    op.create_table("inbox_attempts", *_attempt_columns())


def drop_messaging_tables(op: Any) -> None:
    """Alembic downgrade step undoing :func:`create_messaging_tables`."""
    op.drop_table("inbox_attempts")
    op.drop_table("inbox")
    op.drop_index("ix_outbox_stream_pending", table_name="outbox")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
