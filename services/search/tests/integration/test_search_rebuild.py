"""``search rebuild`` on SQLite and on PostgreSQL: filing's export read over HTTP (a stub serving its two
paged endpoints with the signed-principal check), public text fetched from a real S3 server by
presigned URL, events delivered through search's own handlers while the rebuild runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from export_stub import ExportStub
from search_world import World, case_data, new_id, party

from chassis.testing.polling import wait_until
from search.adapters import generations
from search.adapters.filing_export import FilingExport
from search.adapters.tables import public_documents, rebuild_state
from search.domain.queries import CauseBookQuery, DocumentQuery
from search.service_layer.rebuild import RebuildFailed, RebuildReport, rebuild

TIMEOUT = 30.0
JUDGMENT = "The defendant was negligent in failing to fence the scaffolding; damages are assessed below."


@pytest.fixture
def stub(world: World) -> Any:
    with ExportStub(world.runtime.settings.gateway_secret).serving() as served:
        yield served


def rebuild_from(world: World, url: str, secret: str | None = None) -> RebuildReport:
    # Pages of two, so that every loop goes round more than once.
    export = FilingExport(url, secret or world.runtime.settings.gateway_secret, page_size=2, timeout_seconds=5)
    try:
        return rebuild(world.deps, world.runtime.engine, export, datetime.now(UTC))
    finally:
        export.close()


def read_models(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every read model's rows, in order, without their surrogate keys; documents as shown."""
    held: dict[str, list[tuple[Any, ...]]] = {}
    with world.runtime.engine.connect() as conn:
        for table in generations.READ_MODELS:
            columns = [c for c in table.columns if c.name != "id"]
            query = sa.select(*columns).order_by(*columns)
            if table is public_documents:
                query = query.where(table.c.public.is_(True), table.c.sealed.is_(False))
            held[table.name] = [tuple(row) for row in conn.execute(query)]
    return held


def case_numbers(world: World, **params: Any) -> list[str]:
    return [line.case_number for line in world.deps.store.cause_book(CauseBookQuery(**params)).items]


def document_ids(world: World, text: str) -> list[str]:
    return [hit.document_id for hit in world.deps.store.documents(DocumentQuery(text=text)).items]


def exported(case: dict[str, Any], *assignments: tuple[str, list[str], int]) -> dict[str, Any]:
    """The case as filing's export gives it: its state with identity's assignment sets."""
    return {
        **case,
        "assignments": [
            {"organisation_id": firm, "account_ids": accounts, "aggregate_version": version}
            for firm, accounts, version in assignments
        ],
    }


def test_a_rebuild_makes_what_the_events_made_and_nothing_stale(world: World, stub: ExportStub) -> None:
    individual, clerk = world.caller("IU"), world.caller("OU")
    firm = new_id()
    first = case_data("DCPI 100/2026", party("CHAN Tai Man", name_zh="陳大文", account_id=individual.id), version=1)
    case = {**first, "title": "Chan Tai Man v. Wing Fat", "aggregate_version": 2}
    secret = case_data("DCPI 101/2026", party("SECRET Holdings Limited"), version=1)
    sealed_case = {**secret, "sealed": True, "aggregate_version": 2}
    others = [case_data(f"DCPI {n}/2026", party(f"Other Party {n}"), version=1) for n in range(102, 106)]
    judgment = world.document_published(case, JUDGMENT, version=1)
    withdrawn = world.document_published(case, "scaffolding order later sealed", title="Order", version=1)
    of_sealed = world.document_published(secret, "scaffolding judgment of the sealed SECRET case", version=1)
    for envelope in (
        world.case_updated(first),
        world.case_updated(case),
        world.case_updated(secret),
        world.case_sealing(secret, sealed=True, version=2),
        world.case_updated(sealed_case),  # filing publishes both on sealing
        *(world.case_updated(other) for other in others),
        world.assignment(case["case_id"], firm, [clerk.id], version=3),
        judgment,
        withdrawn,
        of_sealed,
        world.document_sealed(withdrawn, version=2),
    ):
        world.deliver(envelope)
    # A stale case the read models hold but filing does not (lost, or from a bug since fixed).
    stale = case_data("DCPI 999/2026", party("STALE Limited"))
    world.deliver(world.case_updated(stale))
    assert case_numbers(world, party="Stale Limited") == ["DCPI 999/2026"]
    built = read_models(world)

    stub.cases = [exported(case, (firm, [clerk.id], 3)), exported(sealed_case), *map(exported, others)]
    # Documents with fresh URLs, the sealed one included (as filing exports it) so the rebuild knows it.
    refreshed = [
        {**judgment.data, "text": world.stored_text(JUDGMENT)},
        {**withdrawn.data, "sealed": True, "aggregate_version": 2, "text": world.stored_text("scaffolding order")},
        {**of_sealed.data, "text": world.stored_text("scaffolding judgment of the sealed SECRET case")},
    ]
    stub.documents = refreshed
    report = rebuild_from(world, stub.url)

    assert (report.cases, report.assignment_sets, report.documents, report.texts_fetched) == (6, 1, 3, 2)
    rebuilt = read_models(world)
    stale_rows = {table: [row for row in rows if stale["case_id"] in row] for table, rows in built.items()}
    assert any(stale_rows.values())
    assert rebuilt == {table: [r for r in rows if r not in stale_rows[table]] for table, rows in built.items()}
    assert case_numbers(world, party="Stale Limited") == []
    assert case_numbers(world, party="大文") == ["DCPI 100/2026"]
    assert document_ids(world, "scaffolding") == [judgment.data["document_id"]]
    assert document_ids(world, "SECRET") == []
    assert case_numbers(world, party="SECRET Holdings") == []
    for who in (individual, clerk):
        assert [line["case_number"] for line in world.ok("GET", "/my-cases", who)["items"]] == ["DCPI 100/2026"]
    with world.runtime.engine.connect() as conn:
        assert conn.execute(sa.select(rebuild_state)).all() == []
    assert any("/export/cases" in path for path in stub.requests)


def test_queries_keep_answering_during_a_rebuild_and_an_event_in_the_middle_survives_it(
    world: World, stub: ExportStub
) -> None:
    case = case_data("DCPI 200/2026", party("LEE Siu Lung"), version=1)
    judgment = world.document_published(case, JUDGMENT, version=1)
    world.deliver(world.case_updated(case))
    world.deliver(judgment)
    exported_only = [case_data(f"DCPI {n}/2026", party(f"Exported Party {n}")) for n in range(201, 206)]
    stub.cases = [exported(case), *map(exported, exported_only)]
    stub.documents = [{**judgment.data, "text": world.stored_text(JUDGMENT)}]

    answers: list[tuple[list[str], list[str]]] = []
    failures: list[BaseException] = []
    done = threading.Event()

    def keep_asking() -> None:
        while not done.is_set():
            try:
                answers.append((case_numbers(world, case_number="DCPI 200/2026"), document_ids(world, "scaffolding")))
            except BaseException as exc:
                failures.append(exc)

    outcome: list[RebuildReport | BaseException] = []
    with stub.hold_documents():
        rebuilding = threading.Thread(target=lambda: outcome.append(_run(lambda: rebuild_from(world, stub.url))))
        asking = threading.Thread(target=keep_asking)
        rebuilding.start()
        asking.start()
        assert stub.documents_asked.wait(TIMEOUT), "the rebuild never reached the documents"
        # Cases are loaded in the new tables, not yet switched: events go to both.
        late = case_data("DCPI 299/2026", party("LATE Arrival Limited"))
        renamed = {**case, "title": "Lee Siu Lung v. Harbour Ferry", "aggregate_version": 2}
        world.deliver(world.case_updated(late))
        world.deliver(world.case_updated(renamed))
        assert case_numbers(world, party="Late Arrival") == ["DCPI 299/2026"]
        assert case_numbers(world, case_number="DCPI 201/2026") == []  # the old read models still serve
    rebuilding.join(timeout=TIMEOUT)
    wait_until(lambda: len(answers) > 3, timeout=TIMEOUT, what="queries after the switch")
    done.set()
    asking.join(timeout=TIMEOUT)

    assert isinstance(outcome[0], RebuildReport), outcome
    assert failures == []
    expected = (["DCPI 200/2026"], [judgment.data["document_id"]])
    assert len(answers) > 10 and all(answer == expected for answer in answers), answers[:5]
    assert case_numbers(world, party="Late Arrival") == ["DCPI 299/2026"]
    assert case_numbers(world, case_number="DCPI 201/2026") == ["DCPI 201/2026"]
    (line,) = world.deps.store.cause_book(CauseBookQuery(case_number="DCPI 200/2026")).items
    assert line.title == "Lee Siu Lung v. Harbour Ferry"


def _run(work: Callable[[], RebuildReport]) -> RebuildReport | BaseException:
    try:
        return work()
    except BaseException as exc:
        return exc


def test_a_rebuild_that_cannot_read_filing_fails_and_leaves_the_read_models_serving(
    world: World, stub: ExportStub
) -> None:
    case = case_data("DCPI 300/2026", party("WONG Ka Yan"))
    world.deliver(world.case_updated(case))
    before = read_models(world)

    with pytest.raises(RebuildFailed, match="ConnectError"):
        rebuild_from(world, "http://127.0.0.1:9")
    stub.cases = [exported(case_data("DCPI 301/2026", party("NOT Shown")))]
    with pytest.raises(RebuildFailed, match="HTTP 401"):
        rebuild_from(world, stub.url, secret="another secret that is long enough to be one")
    generations.begin(world.runtime.engine, datetime.now(UTC))
    with pytest.raises(RebuildFailed, match="has not finished"):
        rebuild_from(world, stub.url)
    generations.abandon(world.runtime.engine)

    assert read_models(world) == before
    assert case_numbers(world, case_number="DCPI 300/2026") == ["DCPI 300/2026"]
    with world.runtime.engine.connect() as conn:
        assert conn.execute(sa.select(rebuild_state)).all() == []
    # Events go on being applied (to the serving tables only).
    world.deliver(world.case_updated(case_data("DCPI 302/2026", party("AFTER Failure"))))
    assert case_numbers(world, party="After Failure") == ["DCPI 302/2026"]
