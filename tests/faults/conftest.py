"""Fault tests run a real probe worker process and break things underneath it."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from chassis.config import contracts_dir
from chassis.service import Runtime
from chassis.testing import probe
from chassis.testing.infra import unavailable


class WorkerProcess:
    """``python -m chassis.testing.probe worker`` as a child process, restartable."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self._log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self._log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chassis.testing.probe", "worker"], env=self.env, stdout=log, stderr=log
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def probe_runtime(postgres_url: str, amqp_url: str) -> Iterator[Runtime]:
    runtime = probe.runtime(postgres_url, amqp_url, contracts_dir())
    runtime.declare_topology()
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def worker_process(postgres_url: str, amqp_url: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    env = probe.process_env(postgres_url, amqp_url, ICMS_RELAY_BATCH_SIZE="100")
    worker = WorkerProcess(env, tmp_path / "worker.log")
    yield worker
    worker.stop()


@pytest.fixture
def rabbitmqctl() -> str:
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        unavailable("rabbitmqctl", "the broker-restart fault test stops and starts the local broker")
    assert ctl is not None
    return ctl


def effect_stats(rt: Runtime) -> tuple[int, int]:
    """(effect rows, distinct message ids among them)."""
    with rt.engine.connect() as conn:
        return (
            conn.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(probe.effects.c.message_id))))
            .one()
            ._tuple()
        )
