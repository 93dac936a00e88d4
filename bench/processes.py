"""The processes a bench starts and watches: the services as ``deploy/local/run.py`` starts them, the S3
server beside them, and the PostgreSQL backends serving them. Shared by the benches that run services."""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import sqlalchemy as sa

from chassis.s3server import SeaweedS3
from chassis.storage import S3Settings

BIN = Path(sys.executable).parent  # the venv's scripts, not resolved (see deploy/local/run.py)
#: How long the services may take to answer after they were started.
READY_SECONDS = 90


def service_env() -> dict[str, str]:
    """This machine's environment without any ICMS_* or WEB_CONCURRENCY of the caller's: a setting made in the
    shell (an argon2 cost, a number of workers) would change what is measured behind the bench's back."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ICMS_") and k != "WEB_CONCURRENCY"}


@contextlib.contextmanager
def s3_server(root: Path) -> Iterator[tuple[S3Settings, int]]:
    """A SeaweedFS S3 server on free ports under ``root``; its settings and pid (its CPU counts as the run's)."""
    access_key, secret_key = "icms-bench", secrets.token_hex(16)
    with SeaweedS3(root / "s3", None, access_key, secret_key, root / "s3-logs") as server:
        assert server.pid is not None
        yield S3Settings(endpoint=server.endpoint, access_key=access_key, secret_key=secret_key), server.pid


def s3_env(s3: S3Settings) -> dict[str, str]:
    """The variables every service reads its S3 settings from."""
    return {
        "ICMS_S3_ENDPOINT": s3.endpoint,
        "ICMS_S3_ACCESS_KEY": s3.access_key,
        "ICMS_S3_SECRET_KEY": s3.secret_key,
        "ICMS_S3_REGION": s3.region,
    }


def gunicorn(port: int, app: str) -> list[str]:
    """A web process as ``deploy/local/run.py`` starts it: gunicorn with ``chassis.gunicorn_conf``."""
    return [str(BIN / "gunicorn"), "-c", "python:chassis.gunicorn_conf", "-b", f"127.0.0.1:{port}", app]


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def answers(port: int, path: str) -> bool:
    """Whether ``GET path`` on ``port`` answers 200 (not yet, while a process is still starting)."""
    with contextlib.suppress(OSError, http.client.HTTPException):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path)
        return conn.getresponse().status == 200
    return False


@contextlib.contextmanager
def running(
    commands: dict[str, list[str]], env: dict[str, str], root: Path, ready: Callable[[], bool], waited_on: str
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Each of ``commands`` started with ``env``, its output in ``root/<name>.log``, yielded by name once
    ``ready()``; stopped afterwards. One that exits first, or no ``ready()`` within READY_SECONDS, stops the
    benchmark with the end of its log (of ``waited_on``'s for the latter)."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, argv in commands.items():
            metrics = root / "metrics" / name  # prometheus multiprocess files: one directory per process tree
            metrics.mkdir(parents=True)
            with (root / f"{name}.log").open("wb") as out:
                processes[name] = subprocess.Popen(
                    argv, env={**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}, stdout=out, stderr=subprocess.STDOUT
                )
        deadline = time.monotonic() + READY_SECONDS
        while not ready():
            for name, process in processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail(root / f'{name}.log')}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {READY_SECONDS} s:\n{tail(root / f'{waited_on}.log')}")
            time.sleep(0.2)
        yield processes
    finally:
        stop(processes)


def stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    """Terminate those of ``processes`` still running, all at once, and wait for them (30 s, then kill)."""
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (a gunicorn master's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children: a gunicorn master and its workers, whose CPU is a web process's."""
    return [pid, *children(pid)]


def backend_pids(database_urls: Sequence[str]) -> list[int]:
    """The PostgreSQL backends connected to the databases at ``database_urls`` (all on one server; none for
    SQLite), whose CPU counts as the run's."""
    if not database_urls[0].startswith("postgresql"):
        return []
    names = [sa.make_url(url).database for url in database_urls]
    engine = sa.create_engine(database_urls[0], poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            query = sa.text("SELECT pid FROM pg_stat_activity WHERE datname = ANY(:names) AND pid <> pg_backend_pid()")
            return list(conn.execute(query, {"names": names}).scalars())
    finally:
        engine.dispose()
