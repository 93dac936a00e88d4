"""Indexes for the cause book at a million cases (bench/search-findings.md, 2 and 4): cases by court and
year and by prefix and year, newest first; and, on PostgreSQL, each party name's pairs of adjacent
characters that are neither ASCII letters nor digits (``search_name_pairs``, the rule of
``search.domain.names.character_pairs``) in a generated column under a GIN index, so that a two-character
Chinese name, which has no trigram, is found through an index; and, on PostgreSQL, ``party_names``, every
distinct normalised party name once, under a trigram index, with a btree index on ``case_parties.name_norm``
to go from the names like a query's to their parties (a million cases have 2.45M parties but 350,000 names).

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
        op.execute("CREATE TABLE party_names (name_norm varchar(400) PRIMARY KEY)")
        op.execute("INSERT INTO party_names SELECT DISTINCT name_norm FROM case_parties")
        op.execute("CREATE INDEX ix_party_names_name_norm_trgm ON party_names USING gin (name_norm gin_trgm_ops)")
        # Name to case and case to name from the indexes alone (the cause book's two ways of finding names).
        op.execute("CREATE INDEX ix_case_parties_name_norm ON case_parties (name_norm) INCLUDE (case_id)")
        op.execute("CREATE INDEX ix_case_parties_case_id_name_norm ON case_parties (case_id) INCLUDE (name_norm)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_case_parties_case_id_name_norm")
        op.execute("DROP INDEX ix_case_parties_name_norm")
        op.execute("DROP TABLE party_names")
        op.execute("DROP INDEX ix_case_parties_name_pairs")
        op.execute("ALTER TABLE case_parties DROP COLUMN name_pairs")
        op.execute("DROP FUNCTION search_name_pairs(text)")
    op.drop_index("ix_cases_prefix_year_filed_at", table_name="cases")
    op.drop_index("ix_cases_court_year_filed_at", table_name="cases")
