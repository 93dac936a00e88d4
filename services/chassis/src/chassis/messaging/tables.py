"""The outbox and inbox tables every service carries in its own database.

The outbox is a queue, not a log: the relay deletes a row once the broker has confirmed it, so the
table holds only what is still to be sent and its scans stay short. The history of what happened
lives in the consumers' read models and the services' own tables.
"""

from __future__ import annotations

import zlib
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
        # Fixed per stream (see PARTITIONS), so relays that split the partitions never share a stream.
        sa.Column("partition", sa.SmallInteger, nullable=False),
        sa.Column("exchange", sa.String(200), nullable=False),
        sa.Column("routing_key", sa.String(300), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    ]


#: How many partitions the outbox's streams are spread over; relays split them (``k/n``).
PARTITIONS = 64


def partition_of(stream: str) -> int:
    """The outbox partition of a stream: stable across processes and releases."""
    return zlib.crc32(stream.encode()) % PARTITIONS


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


def add_messaging_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """Declare ``outbox``, ``inbox`` and ``inbox_attempts`` on a service's metadata; returns (outbox, inbox)."""
    outbox = sa.Table("outbox", metadata, *_outbox_columns())
    sa.Index("ix_outbox_stream", outbox.c.stream, outbox.c.id)
    inbox = sa.Table("inbox", metadata, *_inbox_columns())
    sa.Table("inbox_attempts", metadata, *_attempt_columns())
    return outbox, inbox


def create_messaging_tables(op: Any) -> None:
    """Alembic migration step creating both tables; call from a service's first migration."""
    op.create_table("outbox", *_outbox_columns())
    op.create_index("ix_outbox_stream", "outbox", ["stream", "id"])
    op.create_table("inbox", *_inbox_columns())
    op.create_table("inbox_attempts", *_attempt_columns())


def drop_messaging_tables(op: Any) -> None:
    """Alembic downgrade step undoing :func:`create_messaging_tables`."""
    op.drop_table("inbox_attempts")
    op.drop_table("inbox")
    op.drop_index("ix_outbox_stream", table_name="outbox")
    op.drop_table("outbox")
