"""The size of each document's extracted text, which ``filing.document.published`` names with its key and
SHA-256; texts stored before it are extracted again (sized, and published to search this time).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("documents", "issued_documents")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("text_size", sa.BigInteger(), nullable=True))
        # The extraction job writes the same text object again and, for a public document, publishes it.
        op.execute(
            f"UPDATE {table} SET text_status = 'pending', text_key = NULL, text_sha256 = NULL "  # noqa: S608 (constant)
            "WHERE text_status = 'done'"
        )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("text_size")
