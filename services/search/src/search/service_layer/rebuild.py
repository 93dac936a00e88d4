"""``search rebuild``: the read models built again from filing's export while the old ones keep serving.

1. :func:`search.adapters.generations.begin`: empty new read models beside the serving ones, and the
   row that makes the consumers apply every event to both from now on.
2. Every page of filing's export, cases (with identity's assignment sets) then documents, mapped by
   the consumers' own :mod:`search.service_layer.projection`, each page in one transaction on the
   new tables; document text fetched by reference as the consumer fetches it, outside any
   transaction. Events applied meanwhile and the export's states meet under the store's version
   guards, so their order does not matter.
3. :func:`search.adapters.generations.switch`: one transaction, readers go from the old read models
   to the new; the old are dropped.

Anything failing (filing unreachable, a page it cannot give, a text that cannot be fetched or is not
what the export vouches for) abandons the new tables and raises :class:`RebuildFailed`: the serving
read models were never touched.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from chassis.messaging.consumer import PermanentError
from search.adapters import generations
from search.adapters.document_text import TextUnavailable
from search.adapters.filing_export import ExportUnavailable, FilingExport
from search.service_layer import projection
from search.service_layer.deps import Deps
from search.service_layer.public_text import may_hold_text, text_of

log = logging.getLogger(__name__)

#: Texts fetched at once while rebuilding (the fetcher's HTTP client is shared between threads).
PARALLEL_FETCHES = 8


class RebuildFailed(Exception):
    """The rebuild stopped; the serving read models are as they were."""


@dataclass(frozen=True)
class RebuildReport:
    cases: int
    assignment_sets: int
    documents: int
    texts_fetched: int
    seconds: float


def rebuild(deps: Deps, engine: sa.Engine, export: FilingExport, now: datetime, restart: bool = False) -> RebuildReport:
    """Build the read models again from ``export`` and switch to them; see the module's docstring."""
    started = time.monotonic()
    try:
        generations.begin(engine, now, restart)
    except generations.RebuildAlreadyRunning as exc:
        raise RebuildFailed(str(exc)) from exc
    try:
        cases, assignment_sets = _load_cases(deps, engine, export)
        documents, fetched = _load_documents(deps, engine, export)
    except (ExportUnavailable, TextUnavailable, PermanentError, KeyError, TypeError, ValueError) as exc:
        generations.abandon(engine)
        raise RebuildFailed(f"rebuild abandoned, the serving read models are unchanged: {exc!r}") from exc
    except BaseException:
        generations.abandon(engine)
        raise
    generations.switch(engine)
    return RebuildReport(cases, assignment_sets, documents, fetched, time.monotonic() - started)


def _load_cases(deps: Deps, engine: sa.Engine, export: FilingExport) -> tuple[int, int]:
    cases = assignment_sets = 0
    for page in export.cases():
        with generations.new_tables(engine) as db:
            for item in page:
                projection.project_case(deps.store, db, item)
                for assignment in item.get("assignments", []):
                    projection.project_assignment(deps.store, db, {"case_id": item["case_id"], **assignment})
                    assignment_sets += 1
        cases += len(page)
        log.info("rebuild: %d cases", cases)
    return cases, assignment_sets


def _load_documents(deps: Deps, engine: sa.Engine, export: FilingExport) -> tuple[int, int]:
    with ThreadPoolExecutor(PARALLEL_FETCHES, thread_name_prefix="rebuild-text") as pool:
        return _load_document_pages(deps, engine, export, pool)


def _load_document_pages(
    deps: Deps, engine: sa.Engine, export: FilingExport, pool: ThreadPoolExecutor
) -> tuple[int, int]:
    documents = fetched = 0
    for page in export.documents():
        with engine.connect() as conn:
            new = generations.Rebuilding(conn)
            held = {item["document_id"]: deps.store.document_version(new, item["document_id"]) for item in page}
        # Texts are fetched outside any transaction (on SQLite it would hold every writer back), and
        # not for a state older than one an event already brought; several at once, as each mostly waits
        # on the network.
        wanted = [
            item
            for item in page
            if held[item["document_id"]] is None or held[item["document_id"]] < item["aggregate_version"]
        ]
        bodies = pool.map(lambda item: text_of(deps.texts, deps.rules, item), wanted)
        texts = {item["document_id"]: body for item, body in zip(wanted, bodies, strict=True)}
        fetched += sum(may_hold_text(deps.rules, item) for item in wanted)
        with generations.new_tables(engine) as db:
            for item in page:
                if item["document_id"] in texts:
                    projection.project_document(deps.store, db, item, texts[item["document_id"]])
        documents += len(page)
        log.info("rebuild: %d documents", documents)
    return documents, fetched
