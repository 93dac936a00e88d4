"""The Prometheus metrics every service exposes (DESIGN.md section 7).

Declared here once, so every process names and labels them alike. Under gunicorn the
``PROMETHEUS_MULTIPROC_DIR`` environment variable must be set before the process starts, so that
every worker writes its samples where ``/metrics`` collects them.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

http_requests = Counter("icms_http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"])
http_duration = Histogram(
    "icms_http_request_duration_seconds",
    "Time to handle an HTTP request",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)
filings = Counter(
    "icms_filings_total", "Filings by court, channel and what became of them", ["court", "channel", "outcome"]
)
payments = Counter("icms_payments_total", "Payments by method and outcome", ["method", "outcome"])
payment_amount = Counter(
    "icms_payment_amount_cents_total", "Money moved, in cents, by method and outcome", ["method", "outcome"]
)
messages_published = Counter(
    "icms_messages_published_total", "Events the relay tried to publish", ["service", "type", "outcome"]
)
messages_consumed = Counter(
    "icms_messages_consumed_total",
    "Messages a consumer finished with, by outcome (ack, duplicate, retry, dead_letter)",
    ["service", "queue", "type", "outcome"],
)
handler_duration = Histogram(
    "icms_message_handler_duration_seconds",
    "Time a consumer spent handling one message, commit included",
    ["service", "queue", "type"],
    buckets=LATENCY_BUCKETS,
)
outbox_pending = Gauge(
    "icms_outbox_pending_messages", "Outbox rows not yet published", ["service"], multiprocess_mode="max"
)
outbox_oldest_age = Gauge(
    "icms_outbox_oldest_pending_age_seconds",
    "Age of the oldest unpublished outbox row",
    ["service"],
    multiprocess_mode="max",
)
event_lag = Histogram(
    "icms_event_lag_seconds",
    "Consume time minus event time",
    ["service", "queue", "type"],
    buckets=LATENCY_BUCKETS,
)


def exposition() -> bytes:
    """The text exposition of every metric of this process, or of all gunicorn workers together."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()
