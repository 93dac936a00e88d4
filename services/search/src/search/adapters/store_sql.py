"""What both stores share: the version-guarded writes, the visibility rules in every WHERE, the
cause book's filters and keyset paging, and turning rows into results. Each backend adds its name
matching, full-text matching and snippets (see ``store_postgres`` and ``store_sqlite``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from search.adapters.store import Db
from search.adapters.tables import (
    case_access,
    case_access_versions,
    case_parties,
    case_seals,
    cases,
    docket_entries,
    public_documents,
)
from search.domain.case_numbers import CaseNumber, find_case_numbers, parse_case_number
from search.domain.case_types import CaseTypeRules
from search.domain.names import compact, has_cjk, normalise_name
from search.domain.queries import (
    CaseCursor,
    CauseBookQuery,
    DocumentCursor,
    DocumentQuery,
    MyCasesQuery,
    words,
)
from search.domain.records import (
    CaseRecord,
    CaseSummary,
    DocketEntry,
    DocumentHit,
    DocumentRecord,
    Page,
    Party,
)
from search.domain.snippets import clean_text, render

#: Placeholder values of a document withdrawn before search ever saw it.
_NOWHERE = {"case_id": "", "case_number": "", "court": "", "case_type": "", "kind": "", "dated": date(1970, 1, 1)}
#: How many of the newest cases a party-name search looks through before it turns to the name indexes.
NAME_WINDOW = 5000
_NEWEST_FIRST = (cases.c.filed_at.desc(), cases.c.case_id.desc())
#: How many of a query's matches are ranked: the newest (see ``SqlStore._candidates``).
RANKED_MATCHES = 2000
#: Characters of plain text shown when a document query has no words to highlight.
PLAIN_SNIPPET = 240


def canonical_case_number(text: str) -> str:
    parsed = parse_case_number(text)
    return str(parsed) if parsed is not None and parsed.is_whole else text.strip().upper()


class SqlStore:
    """The shared part of both stores; subclasses say how names and text are matched."""

    def __init__(self, engine: sa.Engine, rules: CaseTypeRules) -> None:
        self.engine = engine
        self.rules = rules

    # -- backend hooks --------------------------------------------------------------------------

    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, with ``on_conflict_do_update`` and ``excluded``."""
        raise NotImplementedError

    def _index_parties(self, db: Db, rows: Sequence[tuple[int, str, str]]) -> None:
        """Index parties' (id, name_norm, name_compact), if the backend keeps a separate index."""

    def _unindex_parties(self, db: Db, case_id: str) -> None:
        """Forget the index entries of the case's parties (called before they are deleted)."""

    def _index_document(self, db: Db, row_id: int, title: str, text: str) -> None:
        """Index a shown document's title and text, if the backend keeps a separate index."""

    def _unindex_document(self, db: Db, row_id: int) -> None:
        """Forget a document's index entry."""

    def _latin_party_filter(self, conn: sa.Connection, name: str) -> ColumnElement[bool]:
        """Parties whose normalised name is like ``name`` (trigram similarity), as a condition on
        ``case_parties`` (``conn`` may be asked first)."""
        raise NotImplementedError

    def _chinese_party_filter(self, compacted: str) -> ColumnElement[bool]:
        """Parties whose compacted name holds ``compacted`` as a substring."""
        raise NotImplementedError

    def _text_match(
        self, terms: list[str]
    ) -> tuple[ColumnElement[bool], ColumnElement[bool], ColumnElement[float], list[Any]]:
        """For the document query's words: (all words match, the words match as a phrase, score
        with higher better, extra FROM/JOIN targets if any)."""
        raise NotImplementedError

    def _snippets(self, conn: sa.Connection, ids: list[int], terms: list[str]) -> dict[int, str]:
        """Marked snippets (``snippets.START``/``STOP`` around matches) of the documents ``ids``."""
        raise NotImplementedError

    def _each_with_party(
        self, stmt: sa.Select[Any], case_id: ColumnElement[str], party: ColumnElement[bool]
    ) -> sa.Select[Any]:
        """``stmt``'s cases (``case_id``) with a party matching ``party``, each case's parties looked at in turn."""
        return stmt.where(sa.select(sa.literal(1)).where(case_parties.c.case_id == case_id, party).exists())

    def _reader(self) -> Any:
        """A connection for reading (subclasses may prepare it)."""
        return self.engine.connect()

    # -- writes ---------------------------------------------------------------------------------

    def _claim(self, db: Db, table: sa.Table, keys: dict[str, Any], values: dict[str, Any]) -> bool:
        """Insert the row, or update it only if ``values['version']`` is newer; True if written."""
        stmt = self._insert(table).values(**keys, **values)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: stmt.excluded[name] for name in values},
            where=table.c.version < stmt.excluded.version,
        ).returning(*(table.c[name] for name in keys))
        return db.execute(stmt).first() is not None

    def _merge_seal(self, db: Db, case_id: str, sealed: bool, version: int) -> bool:
        applied = self._claim(db, case_seals, {"case_id": case_id}, {"sealed": sealed, "version": version})
        sealed_now = sa.select(case_seals.c.sealed).where(case_seals.c.case_id == case_id).scalar_subquery()
        db.execute(sa.update(cases).where(cases.c.case_id == case_id).values(sealed=sealed_now))
        return applied

    def upsert_case(self, db: Db, record: CaseRecord) -> bool:
        values = {
            "case_number": canonical_case_number(record.case_number),
            "prefix": record.prefix.upper(),
            "number": record.number,
            "year": record.year,
            "court": record.court.upper(),
            "case_type": record.case_type.upper(),
            "title": record.title,
            "status": record.status,
            "filed_at": record.filed_at,
            "in_cause_book": self.rules.in_cause_book(record.case_type.upper())
            and self.rules.in_cause_book(record.prefix.upper()),
            # Written sealed, then set from case_seals below: never visible unsealed by mistake.
            "sealed": True,
            "version": record.version,
        }
        applied = self._claim(db, cases, {"case_id": record.case_id}, values)
        if applied:
            self._unindex_parties(db, record.case_id)
            db.execute(sa.delete(case_parties).where(case_parties.c.case_id == record.case_id))
            db.execute(sa.delete(docket_entries).where(docket_entries.c.case_id == record.case_id))
            if record.parties:
                rows = [self._party_row(record.case_id, seq, party) for seq, party in enumerate(record.parties)]
                ids = db.execute(
                    sa.insert(case_parties).returning(case_parties.c.id, sort_by_parameter_order=True), rows
                ).scalars()
                self._index_parties(
                    db, [(i, row["name_norm"], row["name_compact"]) for i, row in zip(ids, rows, strict=True)]
                )
            if record.docket:
                db.execute(
                    sa.insert(docket_entries),
                    [
                        {"case_id": record.case_id, "number": e.number, "title": e.title, "filed_on": e.filed_on}
                        for e in record.docket
                    ],
                )
        self._merge_seal(db, record.case_id, record.sealed, record.version)
        return applied

    @staticmethod
    def _party_row(case_id: str, seq: int, party: Party) -> dict[str, Any]:
        norm = normalise_name(party.name)
        norm_zh = normalise_name(party.name_zh or "")
        return {
            "case_id": case_id,
            "seq": seq,
            "role": party.role,
            "name": party.name,
            "name_zh": party.name_zh,
            "representative": party.representative,
            "name_norm": norm,
            "name_compact": "|".join(compact(n) for n in (norm, norm_zh) if n),
        }

    def set_sealed(self, db: Db, case_id: str, sealed: bool, version: int) -> bool:
        return self._merge_seal(db, case_id, sealed, version)

    def upsert_document(self, db: Db, record: DocumentRecord) -> bool:
        shown = record.shown and self.rules.documents_may_be_public(record.case_type.upper())
        title = clean_text(record.title) if shown else ""
        text = clean_text(record.text) if shown else ""
        values = {
            "case_id": record.case_id,
            "case_number": canonical_case_number(record.case_number),
            "court": record.court.upper(),
            "case_type": record.case_type.upper(),
            "title": title,
            "kind": record.kind,
            "dated": record.dated,
            "public": record.public,
            "sealed": record.sealed,
            "text": text,
            "version": record.version,
        }
        return self._write_document(db, record.document_id, values, shown)

    def remove_document(self, db: Db, document_id: str, version: int) -> bool:
        values = {**_NOWHERE, "title": "", "public": False, "sealed": False, "text": "", "version": version}
        stmt = self._insert(public_documents).values(document_id=document_id, **values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["document_id"],
            # A withdrawal keeps what the document was (case, dates) and drops what it said.
            set_={"title": "", "public": False, "text": "", "version": stmt.excluded.version},
            where=public_documents.c.version < stmt.excluded.version,
        ).returning(public_documents.c.id)
        row_id = db.execute(stmt).scalar()
        if row_id is None:
            return False
        self._unindex_document(db, row_id)
        return True

    def document_version(self, db: Db, document_id: str) -> int | None:
        d = public_documents.c
        version: int | None = db.execute(sa.select(d.version).where(d.document_id == document_id)).scalar()
        return version

    def _write_document(self, db: Db, document_id: str, values: dict[str, Any], shown: bool) -> bool:
        stmt = self._insert(public_documents).values(document_id=document_id, **values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["document_id"],
            set_={name: stmt.excluded[name] for name in values},
            where=public_documents.c.version < stmt.excluded.version,
        ).returning(public_documents.c.id)
        row_id = db.execute(stmt).scalar()
        if row_id is None:
            return False
        self._unindex_document(db, row_id)
        if shown:
            self._index_document(db, row_id, values["title"], values["text"])
        return True

    def set_case_access(self, db: Db, case_id: str, source: str, account_ids: Collection[str], version: int) -> bool:
        applied = self._claim(db, case_access_versions, {"case_id": case_id, "source": source}, {"version": version})
        if applied:
            db.execute(sa.delete(case_access).where(case_access.c.case_id == case_id, case_access.c.source == source))
            accounts = sorted(set(account_ids))
            if accounts:
                db.execute(
                    sa.insert(case_access),
                    [{"case_id": case_id, "source": source, "account_id": a} for a in accounts],
                )
        return applied

    # -- visibility -----------------------------------------------------------------------------

    def _case_visible(self) -> list[ColumnElement[bool]]:
        """A case may be listed: not sealed, of a type in the cause book (checked against the rules
        now, not only the flag written with it)."""
        allowed = sorted(self.rules.cause_book)
        # Not ``prefix = case_type`` as well: PostgreSQL estimates an equality of two columns at ~0.5 % and
        # then walks every case for a party name (20 s at a million cases). Both columns are checked
        # against the allow-list, which is what keeps an excluded type out whichever column holds it.
        return [
            cases.c.sealed.is_(False),
            cases.c.in_cause_book.is_(True),
            cases.c.case_type.in_(allowed),
            cases.c.prefix.in_(allowed),
        ]

    def _document_visible(self) -> list[ColumnElement[bool]]:
        """A document may be shown: open to inspection, not sealed, of a type whose documents may be
        public, in a known case that is neither sealed nor of another type."""
        allowed = sorted(self.rules.public_documents)
        d = public_documents
        case_open = (
            sa.select(sa.literal(1))
            .where(
                cases.c.case_id == d.c.case_id,
                cases.c.sealed.is_(False),
                cases.c.case_type == d.c.case_type,
                cases.c.case_type.in_(allowed),
                cases.c.prefix.in_(allowed),
            )
            .exists()
        )
        return [d.c.public.is_(True), d.c.sealed.is_(False), d.c.case_type.in_(allowed), case_open]

    # -- cause book and my cases ----------------------------------------------------------------

    def cause_book(self, query: CauseBookQuery) -> Page[CaseSummary]:
        return self._cases(query, [])

    def my_cases(self, query: MyCasesQuery) -> Page[CaseSummary]:
        mine = (
            sa.select(sa.literal(1))
            .where(case_access.c.case_id == cases.c.case_id, case_access.c.account_id == query.account_id)
            .exists()
        )
        return self._cases(query.filters, [mine])

    def _case_filters(self, query: CauseBookQuery) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        number: CaseNumber | None = query.number
        if number is not None:
            if number.prefix is not None:
                where.append(cases.c.prefix == number.prefix)
            if number.number is not None:
                where.append(cases.c.number == number.number)
            if number.year is not None:
                where.append(cases.c.year == number.year)
        if query.court:
            where.append(cases.c.court == query.court)
        if query.case_type:
            where.append(cases.c.case_type == query.case_type)
        if query.year is not None:
            where.append(cases.c.year == query.year)
        lower, upper = query.filed_range()
        if lower is not None:
            where.append(cases.c.filed_at >= sa.literal(lower, cases.c.filed_at.type))
        if upper is not None:
            where.append(cases.c.filed_at < sa.literal(upper, cases.c.filed_at.type))
        return where

    def _party_match(self, conn: sa.Connection, query: CauseBookQuery) -> ColumnElement[bool] | None:
        """The condition on ``case_parties`` of the party name asked for, if any."""
        name = query.party_name
        if name is None:
            return None
        return self._chinese_party_filter(compact(name)) if has_cjk(name) else self._latin_party_filter(conn, name)

    def _cases(self, query: CauseBookQuery, extra: list[ColumnElement[bool]]) -> Page[CaseSummary]:
        where = [*self._case_visible(), *self._case_filters(query), *extra]
        after = query.after
        if after is not None:
            where.append(
                sa.tuple_(cases.c.filed_at, cases.c.case_id)
                < sa.tuple_(sa.literal(after.filed_at, cases.c.filed_at.type), sa.literal(after.case_id))
            )
        with self._reader() as conn:
            party = self._party_match(conn, query)
            if party is None:
                rows = self._newest(conn, where, query.limit + 1)
            else:
                rows = self._newest_with_party(conn, where, party, query.limit + 1)
            page, more = rows[: query.limit], len(rows) > query.limit
            ids = [row["case_id"] for row in page]
            parties, docket = self._details(conn, ids)
        items = [
            CaseSummary(
                case_id=row["case_id"],
                case_number=row["case_number"],
                court=row["court"],
                case_type=row["case_type"],
                title=row["title"],
                status=row["status"],
                filed_at=row["filed_at"],
                parties=tuple(parties.get(row["case_id"], ())),
                docket=tuple(docket.get(row["case_id"], ())),
            )
            for row in page
        ]
        cursor = CaseCursor(page[-1]["filed_at"], page[-1]["case_id"]).encode() if more and page else None
        return Page(items, cursor)

    @staticmethod
    def _newest(conn: sa.Connection, where: list[ColumnElement[bool]], count: int) -> Sequence[sa.RowMapping]:
        stmt = sa.select(cases).where(*where).order_by(*_NEWEST_FIRST).limit(count)
        return conn.execute(stmt).mappings().all()

    def _newest_with_party(
        self, conn: sa.Connection, where: list[ColumnElement[bool]], party: ColumnElement[bool], count: int
    ) -> Sequence[sa.RowMapping]:
        """The newest ``count`` cases with a party matching ``party``, the store choosing how to find them.

        Left to itself PostgreSQL guesses how many cases a name matches, and guesses wrong both ways: it
        walked all 960,000 cases for a rare name (6.8 s) and fetched all 67,267 of a common one's
        (735 ms). So first the newest ``NAME_WINDOW`` cases are looked through: if they hold ``count``
        matches, those are the newest of all, as every case outside the window is older. Only a name
        with fewer recent matches is looked up through the name indexes, which is quick for such a name.
        """
        window = sa.select(cases).where(*where).order_by(*_NEWEST_FIRST).limit(NAME_WINDOW).subquery("newest")
        newest_first = (window.c.filed_at.desc(), window.c.case_id.desc())
        stmt = self._each_with_party(sa.select(window), window.c.case_id, party).order_by(*newest_first).limit(count)
        rows = conn.execute(stmt).mappings().all()
        if (
            len(rows) == count
            or conn.execute(sa.select(sa.func.count()).select_from(window)).scalar_one() < NAME_WINDOW
        ):
            return rows
        named = sa.select(case_parties.c.case_id).where(party).cte("named").prefix_with("MATERIALIZED")
        return self._newest(conn, [*where, cases.c.case_id.in_(sa.select(named.c.case_id))], count)

    @staticmethod
    def _details(conn: sa.Connection, ids: list[str]) -> tuple[dict[str, list[Party]], dict[str, list[DocketEntry]]]:
        parties: dict[str, list[Party]] = {}
        docket: dict[str, list[DocketEntry]] = {}
        if not ids:
            return parties, docket
        p = case_parties.c
        for row in conn.execute(
            sa.select(p.case_id, p.name, p.role, p.name_zh, p.representative)
            .where(p.case_id.in_(ids))
            .order_by(p.case_id, p.seq)
        ):
            parties.setdefault(row.case_id, []).append(Party(row.name, row.role, row.name_zh, row.representative))
        e = docket_entries.c
        for row in conn.execute(
            sa.select(e.case_id, e.number, e.title, e.filed_on).where(e.case_id.in_(ids)).order_by(e.case_id, e.number)
        ):
            docket.setdefault(row.case_id, []).append(DocketEntry(row.number, row.title, row.filed_on))
        return parties, docket

    # -- documents ------------------------------------------------------------------------------

    def documents(self, query: DocumentQuery) -> Page[DocumentHit]:
        d = public_documents
        references, rest = find_case_numbers(query.text or "", self.rules.prefixes)
        terms = words(rest)
        named = sorted({str(n) for n in references})
        case_match: ColumnElement[Any] = sa.case((d.c.case_number.in_(named), 1), else_=0) if named else sa.literal(0)
        where = self._document_visible()
        if query.court:
            where.append(d.c.court == query.court)
        if query.case_type:
            where.append(d.c.case_type == query.case_type)
        if query.date_from:
            where.append(d.c.dated >= query.date_from)
        if query.date_to:
            where.append(d.c.dated <= query.date_to)
        joins: list[Any] = []
        if terms:
            all_match, phrase_match, score, joins = self._text_match(terms)
            phrase: ColumnElement[Any] = sa.case((phrase_match, 1), else_=0)
            where = [d.c.id.in_(self._candidates(where, all_match, joins, named))]
        else:
            phrase, score = sa.literal(0), sa.literal(0.0)
            if named:
                where.append(d.c.case_number.in_(named))
        source = self._joined(joins)
        ranked = (
            sa.select(
                d.c.id,
                d.c.document_id,
                d.c.case_id,
                d.c.case_number,
                d.c.court,
                d.c.case_type,
                d.c.title,
                d.c.kind,
                d.c.dated,
                phrase.label("phrase_match"),
                case_match.label("case_match"),
                sa.cast(score, sa.Float).label("score"),
            )
            .select_from(source)
            .where(*where)
            .cte("ranked")
        )
        key = (ranked.c.phrase_match, ranked.c.case_match, ranked.c.score, ranked.c.dated, ranked.c.document_id)
        stmt = sa.select(ranked)
        after: DocumentCursor | None = query.after
        if after is not None:
            stmt = stmt.where(
                sa.tuple_(*key)
                < sa.tuple_(
                    sa.literal(after.phrase_match),
                    sa.literal(after.case_number_match),
                    sa.literal(after.score, sa.Float),
                    sa.literal(after.dated, sa.Date),
                    sa.literal(after.document_id),
                )
            )
        stmt = stmt.order_by(*(k.desc() for k in key)).limit(query.limit + 1)
        with self._reader() as conn:
            rows = conn.execute(stmt).mappings().all()
            page, more = rows[: query.limit], len(rows) > query.limit
            ids = [row["id"] for row in page]
            marked = self._snippets(conn, ids, terms) if terms and ids else {}
            plain = self._plain_texts(conn, [i for i in ids if i not in marked])
        items = [
            DocumentHit(
                document_id=row["document_id"],
                case_id=row["case_id"],
                case_number=row["case_number"],
                court=row["court"],
                case_type=row["case_type"],
                title=row["title"],
                kind=row["kind"],
                dated=row["dated"],
                snippet=render(marked[row["id"]]) if row["id"] in marked else render(plain.get(row["id"], "")),
                phrase_match=bool(row["phrase_match"]),
                case_number_match=bool(row["case_match"]),
                score=float(row["score"]),
            )
            for row in page
        ]
        cursor = None
        if more and page:
            last = page[-1]
            cursor = DocumentCursor(
                int(last["phrase_match"]),
                int(last["case_match"]),
                float(last["score"]),
                last["dated"],
                last["document_id"],
            ).encode()
        return Page(items, cursor)

    @staticmethod
    def _joined(joins: list[Any]) -> Any:
        source: Any = public_documents
        for target, on in joins:
            source = source.outerjoin(target, on)
        return source

    def _candidates(
        self, where: list[ColumnElement[bool]], all_match: ColumnElement[bool], joins: list[Any], named: list[str]
    ) -> Any:
        """The documents a query with words ranks: the newest ``RANKED_MATCHES`` of those with every word, and
        every document of a case the query names. Ranking every match of a common word (``judgment``: 160,000
        documents of 200,000) took 1-2 s; the newest 2,000 take 40-80 ms (bench/search-findings.md, 5)."""
        d = public_documents
        newest = (
            sa.select(d.c.id.label("id"))
            .select_from(self._joined(joins))
            .where(*where, all_match)
            .order_by(d.c.dated.desc(), d.c.document_id.desc())
            .limit(RANKED_MATCHES)
            .subquery("newest")
        )
        # correlate(None): these are whole queries of their own, not about the outer query's row.
        ids: Any = sa.select(newest.c.id).correlate(None)
        if named:
            ids = sa.union(ids, sa.select(d.c.id).where(*where, d.c.case_number.in_(named)).correlate(None))
        return ids

    @staticmethod
    def _plain_texts(conn: sa.Connection, ids: list[int]) -> dict[int, str]:
        """The start of each document's text, for hits with nothing to highlight."""
        if not ids:
            return {}
        d = public_documents.c
        rows = conn.execute(sa.select(d.id, sa.func.substr(d.text, 1, PLAIN_SNIPPET)).where(d.id.in_(ids)))
        return {row[0]: _trim(row[1] or "") for row in rows}


def _trim(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) < PLAIN_SNIPPET - 1:
        return flat
    cut = flat.rsplit(" ", 1)[0] if " " in flat else flat
    return cut + " …"
