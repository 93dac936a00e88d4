"""A minimal service used by the chassis's own tests and the fault tests.

It publishes ``probe.item.recorded`` events and consumes them itself, recording one row in
``probe_effects`` per handled event; counting those rows shows whether each event took effect
exactly once. The ``behaviour`` field makes the handler succeed, fail transiently, fail for good, or
fail once then succeed, or crash the whole process (``crash``, as a poison message might); ``sleep_ms``
slows it so a test can kill it mid-batch.

Run as a real process: ``python -m chassis.testing.probe worker`` or ``... produce N``, configured by
``ICMS_PROBE_DATABASE_URL``, ``ICMS_AMQP_URL`` and ``ICMS_GATEWAY_SECRET`` like any service.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from chassis import logs
from chassis.config import contracts_dir
from chassis.db import UnitOfWork
from chassis.messaging.consumer import PermanentError
from chassis.messaging.envelope import Envelope, new_event
from chassis.messaging.tables import add_messaging_tables
from chassis.messaging.topology import ServiceTopology, Subscription
from chassis.service import Runtime, ServiceDescription, load_settings
from chassis.testing.principals import GATEWAY_SECRET
from chassis.worker import run_worker

SCHEMAS = Path(__file__).parent / "schemas"
EVENT = "probe.item.recorded"

metadata = sa.MetaData()
outbox, inbox = add_messaging_tables(metadata)
effects = sa.Table(
    "probe_effects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(64), nullable=False),
    sa.Column("stream", sa.String(300), nullable=False),
    sa.Column("item", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # When the event happened and when it took effect here: their difference is the bus's lag.
    sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
)
#: Attempts seen per message id in this process, for ``fail_then_ok`` (kept outside the database
#: because a failing handler's transaction rolls back).
attempts_seen: dict[str, int] = {}


def record_effect(event: Envelope, uow: UnitOfWork) -> None:
    """The probe's handler: maybe sleep, maybe fail, else record one effect row."""
    data = event.data
    if data.get("sleep_ms"):
        time.sleep(data["sleep_ms"] / 1000)
    behaviour = data.get("behaviour", "ok")
    if behaviour == "crash":
        os._exit(70)
    attempts_seen[event.id] = attempts_seen.get(event.id, 0) + 1
    if behaviour == "fail" or (behaviour == "fail_then_ok" and attempts_seen[event.id] == 1):
        raise RuntimeError(f"probe told to fail (item {data['item']})")
    if behaviour == "permanent":
        raise PermanentError(f"probe told to refuse (item {data['item']})")
    uow.session.execute(
        effects.insert().values(
            message_id=event.id,
            stream=event.subject,
            item=data["item"],
            version=data["aggregate_version"],
            event_time=event.time,
            handled_at=datetime.now(UTC),
        )
    )


def topology(retry_delays_ms: tuple[int, ...] = (200, 400), delivery_limit: int = 5) -> ServiceTopology:
    """The probe subscribes to its own events."""
    return ServiceTopology(
        "probe",
        (Subscription("probe", (f"{EVENT}.v1",)),),
        retry_delays_ms=retry_delays_ms,
        delivery_limit=delivery_limit,
    )


def description(retry_delays_ms: tuple[int, ...] = (200, 400), delivery_limit: int = 5) -> ServiceDescription:
    """The probe service's description for :class:`~chassis.service.Runtime`."""
    return ServiceDescription(
        name="probe",
        package="chassis.testing",
        metadata=metadata,
        outbox_table=outbox,
        inbox_table=inbox,
        topology=topology(retry_delays_ms, delivery_limit),
        handlers={f"{EVENT}.v1": record_effect},
    )


def runtime(database_url: str, amqp_url: str, contracts: Path, **overrides: object) -> Runtime:
    """A probe runtime on the given database and broker, with its tables created."""
    env = {
        "ICMS_PROBE_DATABASE_URL": database_url,
        "ICMS_AMQP_URL": amqp_url,
        "ICMS_CONTRACTS_DIR": str(contracts),
        "ICMS_EXTRA_EVENT_SCHEMAS": str(SCHEMAS),
        "ICMS_GATEWAY_SECRET": GATEWAY_SECRET,
        **{k: str(v) for k, v in overrides.items()},
    }
    result = Runtime(description(), load_settings("probe", uses_storage=False, environ=env))
    metadata.create_all(result.engine)
    return result


def process_env(database_url: str, amqp_url: str, **overrides: str) -> dict[str, str]:
    """The environment for ``python -m chassis.testing.probe worker|relay`` on this database and broker."""
    return {
        **os.environ,
        "ICMS_PROBE_DATABASE_URL": database_url,
        "ICMS_AMQP_URL": amqp_url,
        "ICMS_CONTRACTS_DIR": str(contracts_dir()),
        "ICMS_GATEWAY_SECRET": GATEWAY_SECRET,
        **overrides,
    }


def item_event(item: int, *, stream: str = "probe-1", version: int = 1, **data: object) -> Envelope:
    """A probe event for ``item`` in ``stream`` at aggregate ``version``."""
    return new_event(EVENT, {"aggregate_version": version, "item": item, **data}, source="/probe", subject=stream)


def produce(rt: Runtime, count: int, *, streams: int = 1, first: int = 0, **data: object) -> None:
    """Write ``count`` events into the outbox, round-robin over ``streams`` streams, in one transaction each 100."""
    for start in range(first, first + count, 100):
        with rt.unit_of_work() as uow:
            for item in range(start, min(start + 100, first + count)):
                stream = item % streams
                uow.publish(item_event(item, stream=f"probe-{stream}", version=item // streams + 1, **data))
            uow.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description="The chassis's test probe service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("worker")
    sub.add_parser("relay")
    produce_parser = sub.add_parser("produce")
    produce_parser.add_argument("count", type=int)
    args = parser.parse_args()
    tuning = {k: v for k, v in os.environ.items() if k.startswith("ICMS_")}
    rt = runtime(
        os.environ["ICMS_PROBE_DATABASE_URL"],
        os.environ["ICMS_AMQP_URL"],
        Path(os.environ["ICMS_CONTRACTS_DIR"]),
        **tuning,
    )
    logs.configure("probe", "INFO")
    if args.command == "worker":
        run_worker(rt.relay(), rt.consumer())
    elif args.command == "relay":
        run_worker(rt.relay(), None)
    else:
        produce(rt, args.count)


if __name__ == "__main__":
    main()
