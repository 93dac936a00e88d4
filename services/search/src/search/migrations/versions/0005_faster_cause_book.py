"""Indexes for the cause book at a million cases (bench/search-findings.md, 2 and 4): cases by court and
year and by prefix and year, newest first; and, on PostgreSQL, each party name's pairs of adjacent
characters that are neither ASCII letters nor digits (``search_name_pairs``, the rule of
``search.domain.names.character_pairs``) in a generated column under a GIN index, so that a two-character
Chinese name, which has no trigram, is found through an index.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PAIRS_FUNCTION = r"""
CREATE FUNCTION search_name_pairs(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT coalesce(array_agg(DISTINCT pair), '{}')
  FROM (SELECT substr(name, i, 2) AS pair FROM generate_series(1, char_length(name) - 1) AS i) AS pairs
  WHERE pair ~ '^[^a-z0-9|]{2}$'
$$
"""


def upgrade() -> None:
    op.create_index("ix_cases_court_year_filed_at", "cases", ["court", "year", "filed_at"])
    op.create_index("ix_cases_prefix_year_filed_at", "cases", ["prefix", "year", "filed_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PAIRS_FUNCTION)
        op.execute(
            "ALTER TABLE case_parties ADD COLUMN name_pairs text[] "
            "GENERATED ALWAYS AS (search_name_pairs(name_compact)) STORED"
        )
        op.execute("CREATE INDEX ix_case_parties_name_pairs ON case_parties USING gin (name_pairs)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_case_parties_name_pairs")
        op.execute("ALTER TABLE case_parties DROP COLUMN name_pairs")
        op.execute("DROP FUNCTION search_name_pairs(text)")
    op.drop_index("ix_cases_prefix_year_filed_at", table_name="cases")
    op.drop_index("ix_cases_court_year_filed_at", table_name="cases")
