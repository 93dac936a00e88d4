import io
import json
import logging
from collections.abc import Iterator

import pytest

from chassis import logs


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure("probe", "INFO", stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def test_every_line_is_json_with_the_service_and_the_ids_in_force(output: io.StringIO) -> None:
    log = logging.getLogger("chassis.test")
    with logs.bound(request_id="req-1", correlation_id="req-1"), logs.bound(message_id="msg-9"):
        log.info("handled %s", "something")
    log.warning("outside")
    first, second = (json.loads(line) for line in output.getvalue().splitlines())
    assert first["message"] == "handled something"
    assert (first["service"], first["request_id"], first["correlation_id"], first["message_id"]) == (
        "probe", "req-1", "req-1", "msg-9")  # fmt: skip
    assert first["level"] == "INFO" and first["logger"] == "chassis.test"
    assert second["service"] == "probe" and "request_id" not in second and "message_id" not in second
