"""The read models: cases with their parties, docket and sealing, public documents, case access;
PostgreSQL adds a tsvector column with a GIN index and pg_trgm indexes on party names, SQLite adds
its FTS5 tables (trigram for names, unicode61 with Porter stemming for document text).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_access",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "source", "account_id"),
    )
    with op.batch_alter_table("case_access", schema=None) as batch_op:
        batch_op.create_index("ix_case_access_account_id", ["account_id", "case_id"], unique=False)

    op.create_table(
        "case_access_versions",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "source"),
    )
    op.create_table(
        "case_parties",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=True),
        sa.Column("representative", sa.String(length=200), nullable=True),
        sa.Column("name_norm", sa.String(length=400), nullable=False),
        sa.Column("name_compact", sa.String(length=600), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_parties_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_seals",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("case_number", sa.String(length=24), nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("court", sa.String(length=8), nullable=False),
        sa.Column("case_type", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("in_cause_book", sa.Boolean(), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_case_type_filed_at", ["case_type", "filed_at"], unique=False)
        batch_op.create_index("ix_cases_court_filed_at", ["court", "filed_at"], unique=False)
        batch_op.create_index("ix_cases_filed_at_case_id", ["filed_at", "case_id"], unique=False)
        batch_op.create_index("ix_cases_prefix_year_number", ["prefix", "year", "number"], unique=False)

    op.create_table(
        "docket_entries",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "number"),
    )
    op.create_table(
        "public_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("case_number", sa.String(length=24), nullable=False),
        sa.Column("court", sa.String(length=8), nullable=False),
        sa.Column("case_type", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("dated", sa.Date(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id"),
    )
    with op.batch_alter_table("public_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_public_documents_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_public_documents_case_number"), ["case_number"], unique=False)
        batch_op.create_index("ix_public_documents_dated_document_id", ["dated", "document_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension: the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # '<' and '>' become spaces first: PostgreSQL's parser reads "<word ...>" as an HTML tag and
        # would drop the words after it.
        op.execute(
            "ALTER TABLE public_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', translate(title, '<>', '  ')), 'A') || "
            "setweight(to_tsvector('english', translate(text, '<>', '  ')), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_public_documents_search_vector ON public_documents USING gin (search_vector)")
        op.execute("CREATE INDEX ix_case_parties_name_norm_trgm ON case_parties USING gin (name_norm gin_trgm_ops)")
        op.execute(
            "CREATE INDEX ix_case_parties_name_compact_trgm ON case_parties USING gin (name_compact gin_trgm_ops)"
        )
    else:
        # rowid = case_parties.id; "padded" holds each word as pg_trgm pads it, "compact" the
        # Chinese-friendly form without spaces.
        op.execute("CREATE VIRTUAL TABLE party_names_fts USING fts5(padded, compact, tokenize='trigram')")
        # rowid = public_documents.id.
        op.execute(
            "CREATE VIRTUAL TABLE documents_fts USING fts5(title, body, "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_case_parties_name_compact_trgm")
        op.execute("DROP INDEX IF EXISTS ix_case_parties_name_norm_trgm")
    else:
        op.execute("DROP TABLE IF EXISTS documents_fts")
        op.execute("DROP TABLE IF EXISTS party_names_fts")
    with op.batch_alter_table("public_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_public_documents_dated_document_id")
        batch_op.drop_index(batch_op.f("ix_public_documents_case_number"))
        batch_op.drop_index(batch_op.f("ix_public_documents_case_id"))

    op.drop_table("public_documents")
    op.drop_table("docket_entries")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_prefix_year_number")
        batch_op.drop_index("ix_cases_filed_at_case_id")
        batch_op.drop_index("ix_cases_court_filed_at")
        batch_op.drop_index("ix_cases_case_type_filed_at")

    op.drop_table("cases")
    op.drop_table("case_seals")
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_parties_case_id"))

    op.drop_table("case_parties")
    op.drop_table("case_access_versions")
    with op.batch_alter_table("case_access", schema=None) as batch_op:
        batch_op.drop_index("ix_case_access_account_id")

    op.drop_table("case_access")
