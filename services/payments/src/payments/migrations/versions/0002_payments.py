"""Payment orders, payments, deposit accounts, the double-entry ledger, receipts, counters, provider
events, the sandbox provider's sessions and webhooks, calendar closures (from filing), idempotency keys.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: As ``payments.adapters.tables.LIVE_FINE`` (a migration keeps its own copy: it must not change with the code).
LIVE_FINE = "reference_type = 'fine' AND status IN ('open', 'failed', 'paid')"


def upgrade() -> None:
    op.create_table(
        "closures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("closures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closures_ends_at"), ["ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_closures_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "counters",
        sa.Column("series", sa.String(length=30), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series"),
    )
    op.create_table(
        "deposit_accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("minimum_balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("low_balance", sa.Boolean(), nullable=False),
        sa.Column("requested_by_account_id", sa.String(length=36), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("organisation_id"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "key"),
    )
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("memo", sa.String(length=300), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("payment_id", sa.String(length=36), nullable=True),
        sa.Column("reverses_id", sa.String(length=36), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reverses_id"),
    )
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_transactions_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_transactions_payment_id"), ["payment_id"], unique=False)

    op.create_table(
        "payment_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reference_type", sa.String(length=20), nullable=False),
        sa.Column("reference_id", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("payer_account_id", sa.String(length=36), nullable=True),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("court", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deemed_paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_by_payment_id", sa.String(length=36), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("receipt_number", sa.String(length=20), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refund_receipt_number", sa.String(length=20), nullable=True),
        sa.Column("refund_reason", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_orders_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_orders_payer_account_id"), ["payer_account_id"], unique=False)
        batch_op.create_index("ix_payment_orders_reference", ["reference_type", "reference_id"], unique=False)
        batch_op.create_index("ix_payment_orders_status_expires", ["status", "expires_at"], unique=False)
        batch_op.create_index("ix_payment_orders_created", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ux_payment_orders_live_fine",
            ["reference_id"],
            unique=True,
            postgresql_where=sa.text(LIVE_FINE),
            sqlite_where=sa.text(LIVE_FINE),
        )

    op.create_table(
        "provider_events",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.String(length=36), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "event_id"),
    )
    op.create_table(
        "receipts",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("deposit_account_id", sa.String(length=36), nullable=True),
        sa.Column("payment_id", sa.String(length=36), nullable=True),
        sa.Column("payer_account_id", sa.String(length=36), nullable=True),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deemed_paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pdf_status", sa.String(length=20), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("number"),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipts_deposit_account_id"), ["deposit_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_payer_account_id"), ["payer_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_pdf_status"), ["pdf_status"], unique=False)

    op.create_table(
        "sandbox_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.String(length=36), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("card_brand", sa.String(length=20), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("return_url", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sandbox_webhooks",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("sandbox_webhooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sandbox_webhooks_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sandbox_webhooks_session_id"), ["session_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("account", sa.String(length=60), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_account_seq", ["account", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_entries_transaction_id"), ["transaction_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("deposit_account_id", sa.String(length=36), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("card_brand", sa.String(length=20), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("payer_account_id", sa.String(length=36), nullable=True),
        sa.Column("provider", sa.String(length=20), nullable=True),
        sa.Column("provider_session_id", sa.String(length=64), nullable=True),
        sa.Column("provider_payment_ref", sa.String(length=64), nullable=True),
        sa.Column("redirect_url", sa.String(length=500), nullable=True),
        sa.Column("return_url", sa.String(length=500), nullable=True),
        sa.Column("failure_reason", sa.String(length=40), nullable=True),
        sa.Column("ledger_transaction_id", sa.String(length=36), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deposit_account_id"],
            ["deposit_accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payment_orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "provider_session_id"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_deposit_account_id"), ["deposit_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_payments_status_started", ["status", "started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_status_started")
        batch_op.drop_index(batch_op.f("ix_payments_order_id"))
        batch_op.drop_index(batch_op.f("ix_payments_deposit_account_id"))

    op.drop_table("payments")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_transaction_id"))
        batch_op.drop_index("ix_ledger_entries_account_seq")

    op.drop_table("ledger_entries")
    with op.batch_alter_table("sandbox_webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_webhooks_session_id"))
        batch_op.drop_index(batch_op.f("ix_sandbox_webhooks_next_attempt_at"))

    op.drop_table("sandbox_webhooks")
    op.drop_table("sandbox_sessions")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_pdf_status"))
        batch_op.drop_index(batch_op.f("ix_receipts_payer_account_id"))
        batch_op.drop_index(batch_op.f("ix_receipts_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_receipts_order_id"))
        batch_op.drop_index(batch_op.f("ix_receipts_deposit_account_id"))

    op.drop_table("receipts")
    op.drop_table("provider_events")
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.drop_index("ux_payment_orders_live_fine")
        batch_op.drop_index("ix_payment_orders_created")
        batch_op.drop_index("ix_payment_orders_status_expires")
        batch_op.drop_index("ix_payment_orders_reference")
        batch_op.drop_index(batch_op.f("ix_payment_orders_payer_account_id"))
        batch_op.drop_index(batch_op.f("ix_payment_orders_organisation_id"))

    op.drop_table("payment_orders")
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_transactions_payment_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_transactions_order_id"))

    op.drop_table("ledger_transactions")
    op.drop_table("idempotency_keys")
    op.drop_table("deposit_accounts")
    op.drop_table("counters")
    with op.batch_alter_table("closures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closures_starts_at"))
        batch_op.drop_index(batch_op.f("ix_closures_ends_at"))

    op.drop_table("closures")
