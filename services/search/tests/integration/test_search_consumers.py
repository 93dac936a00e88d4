"""Filing's and identity's events through the real consumer (RabbitMQ, the inbox, the delay queues
and the dead-letter queue) into the read models, on SQLite and on PostgreSQL, with public text
fetched from a real S3 server by its presigned URL; what they make is read back over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from search_world import World, case_data, consumed, new_id, party

from chassis.testing.polling import wait_until

TIMEOUT = 30.0
UPDATED = "filing.case.updated"
PUBLISHED = "filing.document.published"
ASSIGNED = "identity.case_assignment.changed"
JUDGMENT = "The defendant was negligent in failing to fence the scaffolding; damages are assessed below."


def numbers(world: World, **params: str) -> list[str]:
    return [line["case_number"] for line in world.cause_book(**params)]


def documents(world: World, q: str) -> list[str]:
    return [hit["document_id"] for hit in world.documents(q=q)]


def test_a_case_is_listed_once_however_often_its_event_is_delivered(world: World) -> None:
    data = case_data("DCPI 1234/2026", party("CHAN Tai Man", name_zh="陳大文"), party("Wing Fat Limited", "defendant"))
    updated = world.case_updated(data)
    before = consumed(UPDATED, "duplicate")

    with world.running():
        world.publish(updated, updated)
        wait_until(lambda: numbers(world, case_number="dcpi1234/2026"), timeout=TIMEOUT, what="the case listed")
        wait_until(lambda: consumed(UPDATED, "duplicate") == before + 1, timeout=TIMEOUT, what="a duplicate")

    (line,) = world.cause_book(party="大文")
    assert line["case_id"] == data["case_id"]
    assert [p["name"] for p in line["parties"]] == ["CHAN Tai Man", "Wing Fat Limited"]
    assert line["docket"] == [{"number": 1, "title": "Writ of summons", "filed_on": "2026-03-02"}]


def test_a_late_older_event_never_overwrites_newer_state(world: World) -> None:
    case_id, document_id = new_id(), new_id()
    first = case_data(
        "DCPI 7/2026", party("LEE Siu Lung"), party("Kowloon Bus Limited", "defendant"), case_id=case_id, version=1
    )
    second = case_data(
        "DCPI 7/2026",
        party("LEE Siu Lung"),
        party("Harbour Ferry Limited", "defendant"),
        case_id=case_id,
        version=2,
        docket=[("Writ of summons", date(2026, 3, 2)), ("Defence", date(2026, 3, 20))],
    )
    newer = world.document_published(second, "the newer judgment text", version=3, document_id=document_id)
    # Its URL answers nothing: a state older than the one held is not even fetched.
    gone = {**world.stored_text("the older judgment text"), "url": "http://127.0.0.1:9/gone.txt"}
    older = world.document_published(first, "", version=2, document_id=document_id, reference=gone)
    cases, texts = consumed(UPDATED, "ack"), consumed(PUBLISHED, "ack")

    with world.running():
        world.publish(world.case_updated(second), newer)
        wait_until(lambda: documents(world, "newer judgment"), timeout=TIMEOUT, what="the newer document")
        world.publish(world.case_updated(first), older)
        wait_until(
            lambda: (consumed(UPDATED, "ack"), consumed(PUBLISHED, "ack")) == (cases + 2, texts + 2),
            timeout=TIMEOUT,
            what="the older events handled",
        )

    (line,) = world.cause_book(case_number="DCPI 7/2026")
    assert [p["name"] for p in line["parties"]] == ["LEE Siu Lung", "Harbour Ferry Limited"]
    assert [e["title"] for e in line["docket"]] == ["Writ of summons", "Defence"]
    assert world.cause_book(party="Kowloon Bus") == []
    assert documents(world, "older judgment") == [] and documents(world, "newer judgment") == [document_id]


def test_sealing_a_case_or_a_document_removes_it_at_once(world: World) -> None:
    sealed_case = case_data("DCPI 11/2026", party("SECRET Holdings Limited"), party("Other Party", "defendant"))
    kept_case = case_data("DCPI 12/2026", party("OPEN Trading Limited"), party("Another Party", "defendant"))
    in_sealed = world.document_published(sealed_case, "scaffolding judgment of the sealed case")
    sealed_document = world.document_published(kept_case, "scaffolding order that gets sealed", title="Order")
    kept_document = world.document_published(kept_case, "scaffolding judgment that stays")

    with world.running():
        world.publish(world.case_updated(sealed_case), world.case_updated(kept_case))
        world.publish(in_sealed, sealed_document, kept_document)
        wait_until(lambda: len(documents(world, "scaffolding")) == 3, timeout=TIMEOUT, what="three documents")

        world.publish(world.case_sealing(sealed_case, sealed=True, version=2))
        world.publish(world.document_sealed(sealed_document, version=2))
        wait_until(lambda: len(documents(world, "scaffolding")) == 1, timeout=TIMEOUT, what="the sealed ones gone")
        assert numbers(world, case_type="DCPI") == ["DCPI 12/2026"]
        assert world.cause_book(party="SECRET Holdings") == []
        assert documents(world, "scaffolding") == [kept_document.data["document_id"]]

        # A case.updated of the sealing's own version agrees with it; unsealing brings the case back.
        world.publish(world.case_updated({**sealed_case, "sealed": True, "aggregate_version": 2}))
        world.publish(world.case_sealing(sealed_case, sealed=False, version=3))
        wait_until(lambda: len(numbers(world, case_type="DCPI")) == 2, timeout=TIMEOUT, what="the case unsealed")
    assert sorted(documents(world, "scaffolding")) == sorted(
        [kept_document.data["document_id"], in_sealed.data["document_id"]]
    )


def test_my_cases_follow_parties_in_person_and_identitys_assignments(world: World) -> None:
    individual, clerk, colleague = (world.caller(role) for role in ("IU", "OU", "OU"))
    firm = new_id()
    data = case_data(
        "DCPI 21/2026",
        party("CHEUNG Mei Ling", account_id=individual.id),
        party("Harbour Transport Limited", "defendant", firm=(firm, "Lee & Partners")),
    )
    other = case_data("DCPI 22/2026")

    def mine(who) -> list[str]:  # type: ignore[no-untyped-def]
        return [line["case_number"] for line in world.ok("GET", "/my-cases", who)["items"]]

    with world.running():
        world.publish(world.case_updated(data), world.case_updated(other))
        world.publish(world.assignment(data["case_id"], firm, [clerk.id, colleague.id], version=1))
        wait_until(lambda: mine(colleague), timeout=TIMEOUT, what="the assignment applied")
        assert mine(individual) == mine(clerk) == ["DCPI 21/2026"]

        assignments = consumed(ASSIGNED, "ack", "search.identity")
        world.publish(world.assignment(data["case_id"], firm, [clerk.id], version=3))
        world.publish(world.assignment(data["case_id"], firm, [colleague.id], version=2))  # late and older
        wait_until(
            lambda: consumed(ASSIGNED, "ack", "search.identity") == assignments + 2,
            timeout=TIMEOUT,
            what="both sets handled",
        )
    assert mine(clerk) == ["DCPI 21/2026"] and mine(colleague) == []
    assert mine(individual) == ["DCPI 21/2026"]
    assert world.call("GET", "/my-cases").status_code == 401


def test_tampered_text_is_dead_lettered_and_never_stored(world: World) -> None:
    case = case_data("DCPI 31/2026")
    reference = world.stored_text("the judgment as filing stored it")
    forged = {**reference, "sha256": "0" * 64}
    tampered = world.document_published(case, "", reference=forged)
    before = consumed(PUBLISHED, "dead_letter")

    with world.running():
        world.publish(world.case_updated(case), tampered)
        wait_until(lambda: consumed(PUBLISHED, "dead_letter") == before + 1, timeout=TIMEOUT, what="a dead letter")

    (letter,) = world.dead_letters()
    assert letter.message_id == tampered.id and letter.attempts == 1
    assert "permanent failure" in letter.error and "SHA-256" in letter.error
    assert world.documents(q="judgment") == []
    with world.runtime.engine.connect() as conn:
        assert world.deps.store.document_version(conn, tampered.data["document_id"]) is None


def test_text_not_there_yet_is_retried_through_the_delay_queues_until_it_is(impatient_world: World) -> None:
    world = impatient_world
    case = case_data("DCPI 41/2026")
    text = "a judgment whose text arrives late"
    key = f"texts/{new_id()}.txt"
    late = world.document_published(case, text, reference=world.reference(key, text))
    retries = consumed(PUBLISHED, "retry")

    with world.running():
        world.publish(world.case_updated(case), late)
        wait_until(lambda: consumed(PUBLISHED, "retry") >= retries + 1, timeout=TIMEOUT, what="a retry")
        world.stored_text(text, key=key)
        wait_until(lambda: documents(world, "arrives late"), timeout=TIMEOUT, what="the retried document")

    assert world.dead_letters() == []


def test_an_expired_or_unreachable_url_is_retried_then_dead_lettered(impatient_world: World) -> None:
    world = impatient_world
    case = case_data("DCPI 51/2026")
    text = "a judgment behind an expired link"
    stored = world.stored_text(text)
    expired = world.reference(stored["key"], text, url_seconds=60, signed_at=datetime.now(UTC) - timedelta(hours=1))
    unreachable = {**stored, "url": "http://127.0.0.1:9/texts/nothing.txt"}
    events = [world.document_published(case, text, reference=r) for r in (expired, unreachable)]
    retries, dead = consumed(PUBLISHED, "retry"), consumed(PUBLISHED, "dead_letter")

    with world.running():
        world.publish(world.case_updated(case), *events)
        wait_until(lambda: consumed(PUBLISHED, "dead_letter") == dead + 2, timeout=TIMEOUT, what="two dead letters")

    # Three attempts each (the first and two retries), then the dead-letter queue with the last reason.
    assert consumed(PUBLISHED, "retry") == retries + 4
    letters = {letter.message_id: letter for letter in world.dead_letters()}
    assert {m: letters[m].attempts for m in letters} == {e.id: 3 for e in events}
    assert "HTTP 403" in letters[events[0].id].error
    assert "ConnectError" in letters[events[1].id].error
    assert world.documents(q="expired link") == []


def test_a_document_not_open_to_inspection_has_no_text_fetched_or_shown(world: World) -> None:
    case = case_data("DCPI 61/2026")
    closed = world.document_published(
        case, "", public_inspection=False, reference={**world.stored_text("x"), "url": "http://127.0.0.1:9/never"}
    )
    before = consumed(PUBLISHED, "ack")

    with world.running():
        world.publish(world.case_updated(case), closed)
        wait_until(lambda: consumed(PUBLISHED, "ack") == before + 1, timeout=TIMEOUT, what="the document handled")

    # Acknowledged at once: the unreachable URL was never tried, and nothing of it is shown.
    assert world.documents(case_type="DCPI") == []
    with world.runtime.engine.connect() as conn:
        assert world.deps.store.document_version(conn, closed.data["document_id"]) == 1
