"""The CloudEvents 1.0 envelope every event travels in (structured JSON mode)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chassis import logs
from chassis.clock import Clock, SystemClock

SPECVERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"


@dataclass(frozen=True)
class Envelope:
    """One event: what happened (``type``), to which aggregate (``subject``), with its ``data``.

    ``data`` carries ``aggregate_version`` so that read models can drop stale updates; ``subject``
    names the aggregate, and events of one subject are delivered in the order they were written.
    """

    id: str
    source: str
    type: str
    time: datetime
    subject: str
    dataversion: str
    data: dict[str, Any]
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    datacontenttype: str = field(default="application/json")

    @property
    def major(self) -> int:
        """The major version of the data schema (``dataversion`` is ``major[.minor]``)."""
        return int(self.dataversion.split(".", 1)[0])

    @property
    def routing_key(self) -> str:
        """``<type>.v<major>``: how the broker routes the event to subscribers."""
        return f"{self.type}.v{self.major}"

    @property
    def producer(self) -> str:
        """The producing service: the first segment of the type."""
        return self.type.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        """The structured-mode JSON object, omitting absent optional attributes."""
        body: dict[str, Any] = {
            "specversion": SPECVERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "subject": self.subject,
            "datacontenttype": self.datacontenttype,
            "dataversion": self.dataversion,
            "data": self.data,
        }
        for name in ("correlationid", "causationid", "traceparent"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return body

    def to_json(self) -> bytes:
        """The envelope serialised for the wire."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Envelope:
        """Rebuild an envelope from an already schema-validated JSON object."""
        return cls(
            id=body["id"],
            source=body["source"],
            type=body["type"],
            time=datetime.fromisoformat(body["time"].replace("Z", "+00:00")),
            subject=body["subject"],
            dataversion=body["dataversion"],
            data=body["data"],
            correlationid=body.get("correlationid"),
            causationid=body.get("causationid"),
            traceparent=body.get("traceparent"),
            datacontenttype=body.get("datacontenttype", "application/json"),
        )


def new_event(
    type: str,
    data: dict[str, Any],
    *,
    source: str,
    subject: str,
    dataversion: str = "1",
    clock: Clock | None = None,
    caused_by: Envelope | None = None,
    correlation_id: str | None = None,
) -> Envelope:
    """A fresh event; its correlation id follows the event that caused it, else the current request."""
    correlation = correlation_id or (caused_by.correlationid if caused_by else None) or logs.correlation_id.get()
    return Envelope(
        id=str(uuid.uuid4()),
        source=source,
        type=type,
        time=(clock or SystemClock()).now(),
        subject=subject,
        dataversion=dataversion,
        data=data,
        correlationid=correlation,
        causationid=caused_by.id if caused_by else None,
        traceparent=caused_by.traceparent if caused_by else None,
    )
