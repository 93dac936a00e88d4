"""Payments's tables."""

from __future__ import annotations

import sqlalchemy as sa

from chassis.messaging.tables import add_messaging_tables

metadata = sa.MetaData()
outbox, inbox = add_messaging_tables(metadata)
