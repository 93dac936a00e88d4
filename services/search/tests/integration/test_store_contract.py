"""The store's contract, on SQLite (FTS5) and PostgreSQL (tsvector, pg_trgm) alike: the same
suite, parametrised over both backends by the ``database_url`` fixture."""

from __future__ import annotations

import contextlib
import functools
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import Backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_testkit import START, case, document, fullwidth, new_id, put

from search.adapters import store_sql
from search.adapters.store import ACCESS_FROM_FILING, ACCESS_FROM_IDENTITY
from search.domain.names import NAME_SIMILARITY_THRESHOLD
from search.domain.queries import CauseBookQuery, DocumentQuery, InvalidQuery, MyCasesQuery
from search.domain.records import DocketEntry, Party

CHAN = Party("CHAN Tai Man", "plaintiff", "陳大文", "Chan, Lau & Wong Solicitors")
WING_FAT = Party("Wing Fat Construction Company Limited", "defendant")
LEE = Party("LEE Siu Lung", "plaintiff", "李小龍")
WONG = Party("WONG Ka Ho", "defendant", None, "Li & Partners")


def numbers(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.case_number for item in page.items]


def test_case_numbers_however_typed(backend: Backend) -> None:
    wanted = case("DCPI", 1234, 2026, parties=(CHAN, WING_FAT))
    put(
        backend.store,
        backend.engine,
        wanted,
        case("DCPI", 123, 2026),
        case("DCPI", 1234, 2025),
        case("HCA", 5, 2026),
        case("HCA", 5, 2025),
    )
    book = backend.store.cause_book
    for typed in (
        "dcpi 1234/2026",
        "DCPI1234/2026",
        "DCPI 1234 / 2026",
        fullwidth("DCPI1234/2026"),
        "DCPI 01234/2026",
    ):
        assert numbers(book(CauseBookQuery(case_number=typed))) == ["DCPI 1234/2026"], typed
    assert numbers(book(CauseBookQuery(case_number="HCA 5/2026"))) == ["HCA 5/2026"]
    assert sorted(numbers(book(CauseBookQuery(case_number="dcpi")))) == [
        "DCPI 123/2026",
        "DCPI 1234/2025",
        "DCPI 1234/2026",
    ]
    assert sorted(numbers(book(CauseBookQuery(case_number="DCPI /2026")))) == ["DCPI 123/2026", "DCPI 1234/2026"]
    assert sorted(numbers(book(CauseBookQuery(case_number="1234/2026")))) == ["DCPI 1234/2026"]
    assert numbers(book(CauseBookQuery(case_number="DCPI 9999/2026"))) == []
    assert numbers(book(CauseBookQuery(case_number="XYZ 1/2026"))) == []
    # The line carries what the cause book shows.
    (line,) = book(CauseBookQuery(case_number="DCPI 1234/2026")).items
    assert (line.case_id, line.court, line.case_type, line.status) == (wanted.case_id, "DC", "DCPI", "open")
    assert line.filed_at == wanted.filed_at
    assert line.parties == (CHAN, WING_FAT)
    assert line.docket == wanted.docket


def test_party_names_fuzzy_and_chinese(backend: Backend) -> None:
    chan = case(parties=(CHAN, WING_FAT))
    lee = case(parties=(LEE, WONG))
    put(backend.store, backend.engine, chan, lee, *(case() for _ in range(20)))

    def found(party: str) -> set[str]:
        return {item.case_id for item in backend.store.cause_book(CauseBookQuery(party=party)).items}

    for typed in (
        "CHAN Tai Man",
        "Chan Tai Mann",  # a typo
        "chan, tai-man",
        "Tai Man CHAN",
        "Chàn Tái Man",
        fullwidth("CHAN TAI MAN"),
        "Wing Fat Construction",
        "wing fat constrution co",
        "陳大文",
        "大文",
        "陳",
    ):
        assert chan.case_id in found(typed), typed
        assert lee.case_id not in found(typed), typed
    assert found("李小龍") == {lee.case_id}
    assert found("小龍") == {lee.case_id}
    assert found("Lee Siu Loong") == {lee.case_id}
    assert found("Nobody Here") == set()
    # Representatives are shown, not searched as parties.
    assert found("Li Partners") == set()


@pytest.mark.parametrize("window", [3, 5000])
def test_a_name_is_found_however_far_back_its_cases_are_and_paged_newest_first(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    # The store looks through the newest `window` cases first, then through the name indexes: with a
    # window of 3 every path is taken (a page found in the window, a page needing the indexes, a page
    # after a cursor), and the answers are those of a window larger than the data.
    monkeypatch.setattr(store_sql, "NAME_WINDOW", window)
    chan = [case(parties=(CHAN, WING_FAT), filed_at=START - timedelta(days=d)) for d in (1, 300, 301, 600)]
    others = [case(filed_at=START + timedelta(days=d)) for d in range(4)]
    lee = case(parties=(LEE, WONG), filed_at=START + timedelta(days=5))
    put(backend.store, backend.engine, *chan, *others, lee)
    newest_first = [c.case_id for c in sorted(chan, key=lambda c: c.filed_at, reverse=True)]

    for name in ("Chan Tai Mann", "大文"):
        query = functools.partial(CauseBookQuery, party=name)
        walked = _walk(lambda n, c, query=query: backend.store.cause_book(query(limit=n, cursor=c)), 1)
        assert [item.case_id for item in walked] == newest_first, name
        page = backend.store.cause_book(CauseBookQuery(party=name, limit=10))
        assert [item.case_id for item in page.items] == newest_first and page.next_cursor is None
    assert [i.case_id for i in backend.store.cause_book(CauseBookQuery(party="Lee Siu Loong")).items] == [lee.case_id]
    assert backend.store.cause_book(CauseBookQuery(party="Nobody Here At All")).items == []


def test_filters_by_court_type_year_and_hong_kong_filing_days(backend: Backend) -> None:
    # 2026-03-01 17:30 UTC is 2 March in Hong Kong.
    late = case("DCPI", 1, 2026, filed_at=datetime(2026, 3, 1, 17, 30, tzinfo=UTC))
    early = case("DCPI", 2, 2026, filed_at=datetime(2026, 3, 1, 15, 30, tzinfo=UTC))
    high = case("HCA", 3, 2026, filed_at=datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    old = case("HCA", 4, 2025, filed_at=datetime(2025, 12, 30, 2, 0, tzinfo=UTC))
    put(backend.store, backend.engine, late, early, high, old)

    def found(**filters) -> list[str]:  # type: ignore[no-untyped-def]
        return numbers(backend.store.cause_book(CauseBookQuery(**filters)))

    assert found() == ["HCA 3/2026", "DCPI 1/2026", "DCPI 2/2026", "HCA 4/2025"]
    assert found(court="cfi") == ["HCA 3/2026", "HCA 4/2025"]
    assert found(case_type="DCPI") == ["DCPI 1/2026", "DCPI 2/2026"]
    assert found(year=2025) == ["HCA 4/2025"]
    assert found(filed_from=date(2026, 3, 2)) == ["HCA 3/2026", "DCPI 1/2026"]
    assert found(filed_to=date(2026, 3, 1)) == ["DCPI 2/2026", "HCA 4/2025"]
    assert found(filed_from=date(2026, 3, 2), filed_to=date(2026, 3, 2)) == ["DCPI 1/2026"]
    assert found(court="DC", year=2025) == []
    assert found(case_number="HCA", year=2026) == ["HCA 3/2026"]


def _walk(fetch, limit: int) -> list:  # type: ignore[no-untyped-def, type-arg]
    seen, cursor = [], None
    while True:
        page = fetch(limit, cursor)
        assert len(page.items) <= limit
        seen.extend(page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_pages_are_stable_with_no_duplicates_or_gaps(backend: Backend) -> None:
    # 150 cases over 40 distinct filing instants: many ties, broken by case_id.
    records = [case(filed_at=START + timedelta(minutes=i % 40)) for i in range(150)]
    put(backend.store, backend.engine, *records)
    expected = [r.case_id for r in sorted(records, key=lambda r: (r.filed_at, r.case_id), reverse=True)]
    for limit in (1, 7, 100):
        walked = _walk(lambda n, c: backend.store.cause_book(CauseBookQuery(limit=n, cursor=c)), limit)
        assert [item.case_id for item in walked] == expected
    # The same through my cases, with a filter.
    account = new_id()
    with backend.engine.begin() as conn:
        for record in records[::2]:
            backend.store.set_case_access(conn, record.case_id, ACCESS_FROM_FILING, [account], 1)
    mine = [
        item.case_id
        for item in _walk(
            lambda n, c: backend.store.my_cases(
                MyCasesQuery(account, CauseBookQuery(case_type="DCPI", limit=n, cursor=c))
            ),
            9,
        )
    ]
    assert mine == [i for i in expected if i in {r.case_id for r in records[::2]}]


def test_document_pages_are_stable_with_no_duplicates_or_gaps(backend: Backend) -> None:
    owner = case()
    docs = [
        document(owner, f"The crane {'collapsed ' * (i % 3 + 1)}on site {i}.", dated=date(2026, 5, 1 + i % 5))
        for i in range(60)
    ]
    put(backend.store, backend.engine, owner, *docs)
    for text in ("crane collapsed", None):
        walked = _walk(lambda n, c, t=text: backend.store.documents(DocumentQuery(text=t, limit=n, cursor=c)), 7)
        ids = [hit.document_id for hit in walked]
        assert sorted(ids) == sorted(d.document_id for d in docs)
        keys = [(h.phrase_match, h.case_number_match, h.score, h.dated, h.document_id) for h in walked]
        assert keys == sorted(keys, reverse=True)


def test_an_older_update_after_a_newer_one_changes_nothing(backend: Backend) -> None:
    store, engine = backend.store, backend.engine
    newer = case(
        "DCPI",
        77,
        2026,
        version=3,
        title="Newer title",
        parties=(CHAN,),
        docket=(DocketEntry(1, "Writ", date(2026, 3, 2)), DocketEntry(2, "Defence", date(2026, 3, 20))),
    )
    older = case("DCPI", 77, 2026, case_id=newer.case_id, version=2, title="Older title", parties=(LEE,), docket=())
    with engine.begin() as conn:
        assert store.upsert_case(conn, newer)
        assert not store.upsert_case(conn, older)
        assert not store.upsert_case(conn, newer)  # a redelivery
    (line,) = store.cause_book(CauseBookQuery(case_number="DCPI 77/2026")).items
    assert (line.title, line.parties, len(line.docket)) == ("Newer title", (CHAN,), 2)
    assert store.cause_book(CauseBookQuery(party="Lee Siu Lung")).items == []

    # Sealing has its own order: a late older state neither unseals nor hides.
    with engine.begin() as conn:
        assert store.set_sealed(conn, newer.case_id, True, 5)
        store.upsert_case(conn, case("DCPI", 77, 2026, case_id=newer.case_id, version=4, title="Four", parties=(CHAN,)))
    assert store.cause_book(CauseBookQuery(case_number="DCPI 77/2026")).items == []
    with engine.begin() as conn:
        assert not store.set_sealed(conn, newer.case_id, False, 4)
    assert store.cause_book(CauseBookQuery(case_number="DCPI 77/2026")).items == []
    with engine.begin() as conn:
        assert store.set_sealed(conn, newer.case_id, False, 6)
    assert [i.title for i in store.cause_book(CauseBookQuery(case_number="DCPI 77/2026")).items] == ["Four"]

    # Sealed before search ever heard of the case.
    early = case("DCPI", 78, 2026, version=1)
    with engine.begin() as conn:
        store.set_sealed(conn, early.case_id, True, 2)
        store.upsert_case(conn, early)
    assert store.cause_book(CauseBookQuery(case_number="DCPI 78/2026")).items == []

    # Documents: a late older version does not return, nor does one withdrawn.
    doc = document(newer, "The crane was negligently operated.", version=2)
    with engine.begin() as conn:
        assert store.upsert_document(conn, doc)
        assert not store.upsert_document(
            conn, document(newer, "Old words: scaffolding.", version=1, document_id=doc.document_id)
        )
    assert [h.document_id for h in store.documents(DocumentQuery(text="crane")).items] == [doc.document_id]
    assert store.documents(DocumentQuery(text="scaffolding")).items == []
    with engine.begin() as conn:
        assert store.remove_document(conn, doc.document_id, 3)
        assert not store.upsert_document(conn, doc)
        assert store.remove_document(conn, new_id(), 1)  # withdrawn before it was ever seen
    assert store.documents(DocumentQuery(text="crane")).items == []

    # Case access, per source.
    me, other = new_id(), new_id()
    with engine.begin() as conn:
        assert store.set_case_access(conn, newer.case_id, ACCESS_FROM_FILING, [me], 2)
        assert not store.set_case_access(conn, newer.case_id, ACCESS_FROM_FILING, [other], 1)
        assert store.set_case_access(conn, newer.case_id, ACCESS_FROM_IDENTITY, [other], 1)
    assert [i.case_id for i in store.my_cases(MyCasesQuery(me)).items] == [newer.case_id]
    assert [i.case_id for i in store.my_cases(MyCasesQuery(other)).items] == [newer.case_id]
    with engine.begin() as conn:
        assert store.set_case_access(conn, newer.case_id, ACCESS_FROM_IDENTITY, [], 2)
    assert store.my_cases(MyCasesQuery(other)).items == []


def test_my_cases_with_filters(backend: Backend) -> None:
    me = new_id()
    mine_dc = case("DCPI", parties=(CHAN,))
    mine_hc = case("HCA", parties=(LEE,))
    not_mine = case("DCPI", parties=(CHAN,))
    put(backend.store, backend.engine, mine_dc, mine_hc, not_mine)
    with backend.engine.begin() as conn:
        backend.store.set_case_access(conn, mine_dc.case_id, ACCESS_FROM_FILING, [me, new_id()], 1)
        backend.store.set_case_access(conn, mine_hc.case_id, ACCESS_FROM_IDENTITY, [me], 1)

    def mine(**filters) -> set[str]:  # type: ignore[no-untyped-def]
        return {i.case_id for i in backend.store.my_cases(MyCasesQuery(me, CauseBookQuery(**filters))).items}

    assert mine() == {mine_dc.case_id, mine_hc.case_id}
    assert mine(party="Chan Tai Mann") == {mine_dc.case_id}
    assert mine(court="CFI") == {mine_hc.case_id}
    assert mine(case_number=mine_hc.case_number.lower()) == {mine_hc.case_id}
    assert backend.store.my_cases(MyCasesQuery(new_id())).items == []


def test_documents_ranking_snippets_and_filters(backend: Backend) -> None:
    first = case("DCPI", 500, 2026)
    second = case("HCA", 501, 2026)
    put(backend.store, backend.engine, first, second)
    phrase = document(second, "It was held that the duty of care was breached by the employer.", title="Judgment")
    scattered = document(
        second, "Care was taken; the duty owed was discharged, and nobody breached anything.", title="Reasons"
    )
    of_case = document(
        first,
        "Order for directions. The duty to give discovery; care of documents.",
        title="Order",
        kind="order",
        dated=date(2026, 6, 1),
    )
    unrelated = document(second, "The appeal is allowed with costs.", title="Decision")
    hostile = document(
        first, 'Claimant wrote <script>alert("x")</script> & "damages" of $5 <b>bold</b>.', title="Statement"
    )
    put(backend.store, backend.engine, phrase, scattered, of_case, unrelated, hostile)
    search = backend.store.documents

    hits = search(DocumentQuery(text="duty of care")).items
    assert hits[0].document_id == phrase.document_id
    assert hits[0].phrase_match and not hits[1].phrase_match
    assert {h.document_id for h in hits} == {phrase.document_id, scattered.document_id, of_case.document_id}
    assert "<mark>" in hits[0].snippet and "duty" in hits[0].snippet.lower()

    # A case number in the query puts that case's documents right after exact phrases.
    hits = search(DocumentQuery(text="duty care DCPI 500/2026")).items
    assert hits[0].document_id == of_case.document_id and hits[0].case_number_match
    assert {h.document_id for h in hits[1:]} >= {phrase.document_id, scattered.document_id}
    assert {h.document_id for h in search(DocumentQuery(text="dcpi 500 / 2026")).items} == {
        of_case.document_id,
        hostile.document_id,
    }

    # Snippets are escaped HTML with only <mark> as markup.
    (hit,) = search(DocumentQuery(text="damages")).items
    assert "<mark>damages</mark>" in hit.snippet
    assert "<script>" not in hit.snippet and "<b>" not in hit.snippet
    assert hit.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0

    # Filters.
    assert {h.document_id for h in search(DocumentQuery(text="duty", court="DC")).items} == {of_case.document_id}
    assert {h.document_id for h in search(DocumentQuery(text="duty", case_type="hca")).items} == {
        phrase.document_id,
        scattered.document_id,
    }
    assert {h.document_id for h in search(DocumentQuery(date_from=date(2026, 6, 1))).items} == {of_case.document_id}
    assert {h.document_id for h in search(DocumentQuery(text="duty", date_to=date(2026, 5, 31))).items} == {
        phrase.document_id,
        scattered.document_id,
    }
    assert search(DocumentQuery(text="nothingmatchesthis")).items == []
    # Query syntax in the input is only words.
    assert search(DocumentQuery(text='"duty" AND (care* OR NOT) NEAR/2 -x {title}:')).items is not None


def test_a_broad_query_ranks_its_newest_matches_and_every_document_of_a_named_case(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_sql, "RANKED_MATCHES", 3)
    named, other = case("HCA", 700, 2020), case("HCA", 701, 2026)
    put(backend.store, backend.engine, named, other)
    # The best match (the exact phrase) is the oldest: beyond the newest three it is not ranked.
    oldest_phrase = document(named, "The costs order stands.", dated=date(2020, 1, 2))
    newer = [document(other, f"An order as to costs, number {n}.", dated=date(2026, 1, n)) for n in range(1, 6)]
    put(backend.store, backend.engine, oldest_phrase, *newer)
    search = backend.store.documents

    hits = search(DocumentQuery(text="costs order")).items
    assert {h.document_id for h in hits} == {d.document_id for d in newer[2:]}

    # Naming the case brings its documents in, ranked first (phrase, then case number).
    hits = search(DocumentQuery(text="costs order HCA 700/2020")).items
    assert hits[0].document_id == oldest_phrase.document_id and hits[0].phrase_match and hits[0].case_number_match
    assert {h.document_id for h in hits[1:]} == {d.document_id for d in newer[2:]}

    # Paging walks the same candidates to the end, none twice.
    pages = _walk(lambda limit, cursor: search(DocumentQuery(text="costs order", limit=limit, cursor=cursor)), 2)
    assert sorted(h.document_id for h in pages) == sorted(d.document_id for d in newer[2:])


def test_postgres_connections_plan_each_search_for_its_values_and_index_names_at_the_store_threshold(
    backend: Backend,
) -> None:
    if backend.name != "postgresql":
        pytest.skip("PostgreSQL's session settings")
    with backend.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
        # Using pg_trgm loads it, and it then takes the value its placeholder setting holds.
        conn.exec_driver_sql("SELECT strict_word_similarity('a', 'a')")
        threshold = conn.exec_driver_sql("SHOW pg_trgm.strict_word_similarity_threshold").scalar()
    assert float(threshold) == NAME_SIMILARITY_THRESHOLD


# --- leak tests ---------------------------------------------------------------------------------

HIDDEN_NAMES = ["SECRETIVE Sealed Person", "Hccp Criminal Matter", "Hczz Intended Claimant"]
HIDDEN_CHINESE = ["秘密人", "刑事事", "擬訴人"]
HIDDEN_WORDS = ["sealedcaseword", "sealeddocword", "privateexhibitword", "hcmaappealword", "hccpdocword", "hczzdocword"]


def _leaky_world(backend: Backend) -> tuple[set[str], set[str], list[str], str]:
    """Visible cases and documents, and every kind that must never show; all hidden ones are made
    reachable for one account, to show that my cases does not open them either."""
    store, engine = backend.store, backend.engine
    visible = [case(parties=(CHAN, WING_FAT)), case("HCMA", parties=(LEE,)), case("HCA", parties=(WONG,))]
    sealed = case("DCPI", parties=(Party(HIDDEN_NAMES[0], "plaintiff", HIDDEN_CHINESE[0]), CHAN), sealed=True)
    hccp = case("HCCP", parties=(Party(HIDDEN_NAMES[1], "applicant", HIDDEN_CHINESE[1]), LEE))
    hczz = case("HCZZ", parties=(Party(HIDDEN_NAMES[2], "plaintiff", HIDDEN_CHINESE[2]), WONG))
    later_sealed = case("HCA", parties=(Party("Later Sealed Limited", "defendant"), CHAN))
    hidden_cases = [sealed, hccp, hczz, later_sealed]
    shown_docs = [
        document(visible[0], "The crane was negligent; duty of care breached. DCPI judgment words."),
        document(visible[2], "Judgment on the duty of care of contractors in HCA actions."),
    ]
    hidden_docs = [
        document(sealed, f"Judgment {HIDDEN_WORDS[0]} duty of care crane."),
        document(visible[0], f"Judgment {HIDDEN_WORDS[1]} crane duty.", sealed=True),
        document(visible[0], f"Exhibit {HIDDEN_WORDS[2]} medical report crane.", public=False),
        document(visible[1], f"Judgment {HIDDEN_WORDS[3]} magistracy appeal duty."),  # HCMA: never online
        document(hccp, f"Order {HIDDEN_WORDS[4]} duty of care."),
        document(hczz, f"Writ {HIDDEN_WORDS[5]} duty of care."),
        document(later_sealed, "Judgment on the crane and the duty of care, later sealed."),
    ]
    put(store, engine, *visible, *hidden_cases, *shown_docs, *hidden_docs)
    account = new_id()
    with engine.begin() as conn:
        store.set_sealed(conn, later_sealed.case_id, True, 2)
        for c in [*visible, *hidden_cases]:
            store.set_case_access(conn, c.case_id, ACCESS_FROM_FILING, [account], 1)
    forbidden_cases = {c.case_id for c in hidden_cases}
    forbidden_docs = {d.document_id for d in hidden_docs}
    probes = [
        *HIDDEN_NAMES,
        *HIDDEN_CHINESE,
        *HIDDEN_WORDS,
        *(c.case_number for c in hidden_cases),
        *(c.case_number.lower().replace(" ", "") for c in hidden_cases),
        "Later Sealed",
        "HCCP",
        "HCZZ",
        "HCMA",
        "crane",
        "duty of care",
        "Chan Tai Man",
        "陳大文",
        "magistracy appeal",
        "medical report",
    ]
    return forbidden_cases, forbidden_docs, probes, account


def _fuzzed(probe: str, draw) -> str:  # type: ignore[no-untyped-def]
    mode = draw(st.sampled_from(["as is", "upper", "lower", "typo", "prefix", "with noise", "fullwidth"]))
    if mode == "upper":
        return probe.upper()
    if mode == "lower":
        return probe.lower()
    if mode == "typo" and len(probe) > 3:
        i = draw(st.integers(0, len(probe) - 1))
        return probe[:i] + probe[i] + probe[i:]
    if mode == "prefix":
        return probe[: draw(st.integers(1, len(probe)))]
    if mode == "with noise":
        noise = draw(st.sampled_from(["", "%", "_", "*", '"', "OR", "NOT", "(", ":"]))
        return f"{noise} {probe} {draw(st.text(max_size=5))}"
    if mode == "fullwidth":
        return fullwidth(probe)
    return probe


@st.composite
def hostile_inputs(draw, probes: list[str]):  # type: ignore[no-untyped-def]
    base = draw(st.one_of(st.sampled_from(probes), st.text(max_size=30)))
    return _fuzzed(base, draw) if base else base


def test_nothing_hidden_is_ever_returned(backend: Backend) -> None:
    forbidden_cases, forbidden_docs, probes, account = _leaky_world(backend)
    store = backend.store
    case_types = st.one_of(st.none(), st.sampled_from(["HCCP", "HCZZ", "DCPI", "HCMA", "HCA", "hccp"]))
    courts = st.one_of(st.none(), st.sampled_from(["CFI", "DC", "cfi"]))

    # Sanity: the probes do reach visible things, so the test looks where leaks would be.
    assert store.cause_book(CauseBookQuery(party="Chan Tai Man")).items
    assert store.documents(DocumentQuery(text="duty of care")).items

    @settings(
        max_examples=80 if backend.name == "postgresql" else 150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        text=hostile_inputs(probes),
        other=hostile_inputs(probes),
        case_type=case_types,
        court=courts,
        year=st.one_of(st.none(), st.sampled_from([2025, 2026])),
    )
    def probe(text: str, other: str, case_type: str | None, court: str | None, year: int | None) -> None:
        cause_book_queries = []
        for fields in (
            {"party": text},
            {"case_number": text},
            {"party": other, "case_number": text},
            {"party": text, "case_type": case_type, "court": court, "year": year},
        ):
            with contextlib.suppress(InvalidQuery):
                cause_book_queries.append(CauseBookQuery(**fields, limit=100))
        cause_book_queries.append(CauseBookQuery(case_type=case_type, court=court, year=year, limit=100))
        for query in cause_book_queries:
            shown = {i.case_id for i in store.cause_book(query).items}
            assert not shown & forbidden_cases, query
            mine = {i.case_id for i in store.my_cases(MyCasesQuery(account, query)).items}
            assert not mine & forbidden_cases, query
        for doc_query in (
            DocumentQuery(text=text[:200], limit=100),
            DocumentQuery(text=f"{text} {other}"[:200], case_type=case_type, court=court, limit=100),
        ):
            hits = store.documents(doc_query).items
            assert not {h.document_id for h in hits} & forbidden_docs, doc_query
            for hit in hits:
                assert not any(word in hit.snippet.lower() for word in HIDDEN_WORDS)

    probe()


def test_every_hidden_thing_is_absent_from_unfiltered_listings(backend: Backend) -> None:
    forbidden_cases, forbidden_docs, _, account = _leaky_world(backend)
    everything = {i.case_id for i in _walk(lambda n, c: backend.store.cause_book(CauseBookQuery(limit=n, cursor=c)), 2)}
    assert len(everything) == 3 and not everything & forbidden_cases
    mine = {i.case_id for i in backend.store.my_cases(MyCasesQuery(account, CauseBookQuery(limit=100))).items}
    assert mine == everything
    docs = {h.document_id for h in _walk(lambda n, c: backend.store.documents(DocumentQuery(limit=n, cursor=c)), 2)}
    assert len(docs) == 2 and not docs & forbidden_docs
