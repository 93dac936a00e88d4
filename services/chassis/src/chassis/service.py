"""Wiring shared by every service's ``bootstrap``: settings, database, events, storage, processes.

A service describes itself (name, metadata, topology, handlers); this module turns the description
and the environment into the objects its web and worker processes need.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Flask
from kombu import Connection
from prometheus_client import start_http_server
from sqlalchemy.engine import Engine, make_url

from chassis import config, logs
from chassis.clock import Clock, SystemClock
from chassis.db import UnitOfWork, create_engine, session_factory
from chassis.messaging.consumer import Handler, MessageConsumer, MessageHandling
from chassis.messaging.dead_letters import list_dead_letters, replay_dead_letters
from chassis.messaging.envelope import Envelope, new_event
from chassis.messaging.inbox import Inbox
from chassis.messaging.outbox import Outbox
from chassis.messaging.publisher import ConfirmingPublisher
from chassis.messaging.relay import Relay
from chassis.messaging.schemas import SchemaRegistry
from chassis.messaging.tables import PARTITIONS
from chassis.messaging.topology import ServiceTopology, declare
from chassis.migrations import upgrade
from chassis.web.app import create_service_app
from chassis.web.health import broker_check, database_check
from chassis.web.principal import gateway_secret, install_principal
from chassis.worker import Job, run_worker

if TYPE_CHECKING:
    from chassis.storage import DocumentStore, S3Settings

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


@dataclass(frozen=True)
class ServiceSettings:
    """What every service reads from the environment."""

    service: str
    database_url: str
    amqp_url: str
    contracts_dir: Path
    s3: S3Settings | None
    bucket: str
    gateway_secret: str = field(repr=False)
    """The key of the principal headers' signatures, shared with the gateway."""
    log_level: str = "INFO"
    relay_batch_size: int = 1000
    relay_poll_interval: float = 0.05
    relay_partition: tuple[int, int] = (0, 1)
    consumer_prefetch: int = 50
    consumer_crash_limit: int = 3
    worker_metrics_port: int = 0
    worker_metrics_host: str = "127.0.0.1"
    extra_event_dirs: tuple[Path, ...] = field(default=())


def database_url_for(service: str, environ: Mapping[str, str] | None = None) -> str:
    """``ICMS_<SERVICE>_DATABASE_URL``; else the server in ``ICMS_DATABASE_URL`` with database
    ``icms_<service>``; else a SQLite file ``<ICMS_DATA_DIR>/<service>.db`` (default ``./var``).
    """
    own = config.env_str(f"ICMS_{service.upper()}_DATABASE_URL", "", environ)
    if own:
        return own
    shared = config.env_str("ICMS_DATABASE_URL", "", environ)
    if shared:
        return make_url(shared).set(database=f"icms_{service}").render_as_string(hide_password=False)
    data_dir = Path(config.env_str("ICMS_DATA_DIR", "var", environ)).resolve()
    return f"sqlite:///{data_dir / f'{service}.db'}"


def load_settings(service: str, *, uses_storage: bool, environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """Read a service's settings from the environment, failing fast on anything missing or malformed."""
    extra = config.env_str("ICMS_EXTRA_EVENT_SCHEMAS", "", environ)
    return ServiceSettings(
        service=service,
        database_url=database_url_for(service, environ),
        amqp_url=config.env_str("ICMS_AMQP_URL", DEFAULT_AMQP_URL, environ),
        contracts_dir=config.contracts_dir(environ),
        s3=_s3_settings(environ) if uses_storage else None,
        bucket=config.env_str(f"ICMS_{service.upper()}_S3_BUCKET", f"icms-{service}", environ),
        gateway_secret=gateway_secret(environ),
        log_level=config.env_str("ICMS_LOG_LEVEL", "INFO", environ),
        relay_batch_size=config.env_int("ICMS_RELAY_BATCH_SIZE", 1000, environ),
        relay_poll_interval=config.env_float("ICMS_RELAY_POLL_INTERVAL", 0.05, environ),
        relay_partition=_partition(config.env_str("ICMS_RELAY_PARTITION", "0/1", environ)),
        consumer_prefetch=config.env_int("ICMS_CONSUMER_PREFETCH", 50, environ),
        consumer_crash_limit=config.env_int("ICMS_CONSUMER_CRASH_LIMIT", 3, environ),
        worker_metrics_port=config.env_int("ICMS_WORKER_METRICS_PORT", 0, environ),
        worker_metrics_host=config.env_str("ICMS_WORKER_METRICS_HOST", "127.0.0.1", environ),
        extra_event_dirs=tuple(Path(p) for p in extra.split(":") if p),
    )


def _partition(text: str) -> tuple[int, int]:
    """``k/n``: this relay takes partition share ``k`` of ``n`` (0 <= k < n <= 64)."""
    share, _, count = text.partition("/")
    try:
        k, n = int(share), int(count)
    except ValueError:
        raise config.ConfigError(f"ICMS_RELAY_PARTITION must look like k/n, got {text!r}") from None
    if not 0 <= k < n <= PARTITIONS:
        raise config.ConfigError(f"ICMS_RELAY_PARTITION needs 0 <= k < n <= {PARTITIONS}, got {text!r}")
    return k, n


def _s3_settings(environ: Mapping[str, str] | None) -> S3Settings:
    # Imported here so that services without storage never load the S3 client.
    from chassis.storage import S3Settings

    return S3Settings.from_env(environ)


@dataclass(frozen=True)
class ServiceDescription:
    """What a service is: its name, tables, broker topology and message handlers."""

    name: str
    package: str
    metadata: sa.MetaData
    outbox_table: sa.Table
    inbox_table: sa.Table
    topology: ServiceTopology
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    jobs: Sequence[Job] = ()


class Runtime:
    """The wired objects of one service process."""

    def __init__(self, description: ServiceDescription, settings: ServiceSettings, clock: Clock | None = None):
        self.description = description
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine: Engine = create_engine(settings.database_url)
        self._sessions = session_factory(self.engine)
        self.registry = SchemaRegistry.load(settings.contracts_dir, settings.extra_event_dirs)
        self.outbox = Outbox(description.outbox_table, self.registry, description.topology.exchange)
        self.inbox = Inbox(description.inbox_table, self.clock)
        self.store: DocumentStore | None = None
        if settings.s3 is not None:
            from chassis.storage import DocumentStore, make_client, make_signer

            self.store = DocumentStore(make_client(settings.s3), settings.bucket, make_signer(settings.s3))

    def unit_of_work(self) -> UnitOfWork:
        """A fresh unit of work on this service's database and outbox."""
        return UnitOfWork(self._sessions, self.outbox)

    def event(self, event_type: str, subject: str, data: dict[str, Any], caused_by: Envelope | None = None) -> Envelope:
        """This service's event ``<service>.<event_type>`` about ``subject``, stamped by its clock."""
        name = self.description.name
        return new_event(
            f"{name}.{event_type}", data, source=f"/{name}", subject=subject, clock=self.clock, caused_by=caused_by
        )

    def readiness_checks(self) -> dict[str, Callable[[], None]]:
        """What ``/health/ready`` checks: the database, the broker, and storage if the service uses it."""
        checks = {"db": database_check(self.engine), "broker": broker_check(self.settings.amqp_url)}
        if self.store is not None:
            checks["storage"] = self.store.ping
        return checks

    def web_app(self) -> Flask:
        """The service's Flask app with the chassis conventions; the service adds its routes.

        Every request's caller is read from the gateway's signed headers before its view runs
        (``chassis.web.principal.current_principal()``), with this runtime's clock.
        """
        app = create_service_app(self.description.name, self.readiness_checks())
        install_principal(app, self.settings.gateway_secret, self.clock)
        return app

    def relay(self) -> Relay:
        """The outbox relay for this service."""
        return Relay(
            self.engine,
            self.description.outbox_table,
            ConfirmingPublisher(self.settings.amqp_url),
            service=self.description.name,
            batch_size=self.settings.relay_batch_size,
            poll_interval=self.settings.relay_poll_interval,
            partition=self.settings.relay_partition,
            clock=self.clock,
        )

    def consumer(self) -> MessageConsumer | None:
        """The consumer of this service's subscriptions, or None if it subscribes to nothing."""
        if not self.description.topology.subscriptions:
            return None
        handling = MessageHandling(
            service=self.description.name,
            handlers=self.description.handlers,
            registry=self.registry,
            units_of_work=self.unit_of_work,
            engine=self.engine,
            inbox=self.inbox,
            max_attempts=self.description.topology.max_attempts,
            crash_limit=self.settings.consumer_crash_limit,
            clock=self.clock,
        )
        return MessageConsumer(
            self.settings.amqp_url, self.description.topology, handling, prefetch=self.settings.consumer_prefetch
        )

    def declare_topology(self) -> None:
        """Declare this service's exchange, queues and bindings on the broker."""
        with Connection(self.settings.amqp_url, connect_timeout=5) as conn:
            declare(self.description.topology, conn.default_channel)

    def migrate(self) -> None:
        """Set up everything the processes expect: schema, storage bucket, broker topology.

        Declaring queues here, before any process starts, means no producer can publish an event
        before every subscriber's queue is bound to receive it.
        """
        upgrade(self.description.package, self.settings.database_url)
        if self.store is not None:
            self.store.ensure_bucket()
        self.declare_topology()


def command_line(bootstrap: Callable[[], Runtime], argv: Sequence[str] | None = None) -> None:
    """The ``<service>`` command: ``migrate``, ``worker`` or ``relay`` (the web process runs under gunicorn)."""
    parser = argparse.ArgumentParser(description="Service administration")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the database and storage bucket")
    commands.add_parser("worker", help="run the outbox relay and the event consumer")
    commands.add_parser("relay", help="run an outbox relay alone (ICMS_RELAY_PARTITION=k/n to split the outbox)")
    dead = commands.add_parser("dead-letters", help="list dead-lettered messages, or replay them once fixed")
    dead.add_argument("--replay", action="store_true", help="send them back to the queue they failed in")
    dead.add_argument("--queue", help="only this queue (e.g. search.filing)")
    dead.add_argument("--limit", type=int, help="at most this many")
    args = parser.parse_args(argv)
    runtime = bootstrap()
    logs.configure(runtime.description.name, runtime.settings.log_level)
    if args.command == "migrate":
        runtime.migrate()
        logging.getLogger(__name__).info("migrated %s", runtime.description.name)
    elif args.command == "worker":
        if runtime.settings.worker_metrics_port:
            # The worker's relay and consumer metrics, for Prometheus to scrape like a web process's.
            start_http_server(runtime.settings.worker_metrics_port, addr=runtime.settings.worker_metrics_host)
        run_worker(runtime.relay(), runtime.consumer(), jobs=runtime.description.jobs)
    elif args.command == "relay":
        run_worker(runtime.relay(), None)
    elif args.command == "dead-letters":
        _dead_letters(runtime, args)


def _dead_letters(runtime: Runtime, args: argparse.Namespace) -> None:
    topology = runtime.description.topology
    if args.queue and args.queue not in topology.queues:
        raise SystemExit(f"{args.queue} is not a queue of {topology.service}: {', '.join(topology.queues) or 'none'}")
    if args.replay:
        moved = replay_dead_letters(runtime.settings.amqp_url, topology, args.queue, args.limit)
        print(f"replayed {moved} dead letter(s)")
        return
    letters = list_dead_letters(runtime.settings.amqp_url, topology, args.queue, args.limit or 100)
    for letter in letters:
        print(json.dumps(dataclasses.asdict(letter), ensure_ascii=False))
    print(f"{len(letters)} dead letter(s) shown", file=sys.stderr)
