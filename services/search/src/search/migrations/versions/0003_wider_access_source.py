"""Case access sources up to 60 characters: identity's assignments are a source per organisation,
``identity:<organisation uuid>`` (45 characters), which the 20 of 0002 could not hold.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("case_access", "case_access_versions")


def upgrade() -> None:
    # On SQLite the batch copies each table (its index included); on PostgreSQL it is ALTER COLUMN TYPE.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "source", existing_type=sa.String(length=20), type_=sa.String(length=60), existing_nullable=False
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "source", existing_type=sa.String(length=60), type_=sa.String(length=20), existing_nullable=False
            )
