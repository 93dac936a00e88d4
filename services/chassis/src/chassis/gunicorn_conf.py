"""Gunicorn settings shared by every service's web process (``-c python:chassis.gunicorn_conf``)."""

from __future__ import annotations

from typing import Any

from prometheus_client import multiprocess

worker_class = "gthread"
threads = 8
# Long enough for a 50 MB upload on a slow line; the gateway enforces its own upstream timeouts.
timeout = 120
graceful_timeout = 20
accesslog = None


def child_exit(_server: Any, worker: Any) -> None:
    """Let the metrics of a dead worker stop counting as live gauges (prometheus multiprocess mode)."""
    multiprocess.mark_process_dead(worker.pid)
