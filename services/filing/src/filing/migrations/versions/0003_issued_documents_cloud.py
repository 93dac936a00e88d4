"""Court-issued documents under their DRNs, sealing of cases and documents, public inspections, the
Judiciary Cloud's quotas and uploads.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cloud_quotas",
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("quota_bytes", sa.BigInteger(), nullable=True),
        sa.Column("reserved_bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.create_table(
        "cloud_uploads",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=False),
        sa.Column("s3_upload_id", sa.String(length=400), nullable=True),
        sa.Column("part_size", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attached_filing_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("object_key"),
    )
    with op.batch_alter_table("cloud_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cloud_uploads_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index("ix_cloud_uploads_status_expires", ["status", "expires_at"], unique=False)

    op.create_table(
        "inspections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("document_source", sa.String(length=10), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=True),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("token_sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspections_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspections_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspections_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspections_order_id"), ["order_id"], unique=False)

    op.create_table(
        "issued_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("drn", sa.String(length=12), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("public_inspection", sa.Boolean(), nullable=False),
        sa.Column("sealed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("original_key", sa.String(length=200), nullable=False),
        sa.Column("original_size", sa.BigInteger(), nullable=False),
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("stamped_key", sa.String(length=200), nullable=False),
        sa.Column("stamped_size", sa.BigInteger(), nullable=False),
        sa.Column("stamped_sha256", sa.String(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("issued_by_account_id", sa.String(length=36), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text_status", sa.String(length=20), nullable=False),
        sa.Column("text_key", sa.String(length=200), nullable=True),
        sa.Column("text_sha256", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("drn"),
    )
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issued_documents_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issued_documents_issued_at"), ["issued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_issued_documents_stamped_sha256"), ["stamped_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_issued_documents_text_status"), ["text_status"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("cloud_upload_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("cloud_upload_id")
        batch_op.drop_column("sealed")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("sealed")

    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_documents_text_status"))
        batch_op.drop_index(batch_op.f("ix_issued_documents_stamped_sha256"))
        batch_op.drop_index(batch_op.f("ix_issued_documents_issued_at"))
        batch_op.drop_index(batch_op.f("ix_issued_documents_case_id"))

    op.drop_table("issued_documents")
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspections_order_id"))
        batch_op.drop_index(batch_op.f("ix_inspections_document_id"))
        batch_op.drop_index(batch_op.f("ix_inspections_case_id"))
        batch_op.drop_index(batch_op.f("ix_inspections_account_id"))

    op.drop_table("inspections")
    with op.batch_alter_table("cloud_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_cloud_uploads_status_expires")
        batch_op.drop_index(batch_op.f("ix_cloud_uploads_organisation_id"))

    op.drop_table("cloud_uploads")
    op.drop_table("cloud_quotas")
