"""``make schemathesis`` can fail, says so on its last line, and leaves no process behind.

One run against search (the service with the least infrastructure) with a document that disagrees
with the app; the real documents are run by ``make schemathesis`` itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from chassis.testing.fixtures import RabbitMQ

SCRIPT = Path(__file__).with_name("schemathesis_run.py")
OPENAPI = Path(__file__).resolve().parents[2] / "contracts" / "openapi"


def processes_mentioning(text: str) -> list[int]:
    """Pids of the processes whose environment mentions ``text`` (the run's temporary folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if text.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_a_response_off_its_document_fails_the_run_and_every_process_is_stopped(
    tmp_path: Path, rabbitmq: RabbitMQ
) -> None:
    documents = tmp_path / "openapi"
    documents.mkdir()
    original = (OPENAPI / "search.yaml").read_text()
    assert "const: live" in original
    (documents / "search.yaml").write_text(original.replace("const: live", "const: alive"))
    work = tmp_path / "work"
    work.mkdir()

    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--services", "search", "--openapi-dir", str(documents), "--max-examples", "5"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**os.environ, "ICMS_AMQP_URL": rabbitmq.url("/"), "TMPDIR": str(work)},
    )

    lines = result.stdout.strip().splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert lines[-1] == "0 passed, 1 failed"
    assert any(line.startswith("search: FAILED") for line in lines), result.stdout
    assert "Response violates schema" in result.stdout
    assert processes_mentioning(str(work)) == []
    assert list(work.iterdir()) == [], "the temporary folder was not removed"


def test_an_unknown_service_is_refused_before_anything_starts() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--services", "search,nonesuch"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown services: nonesuch" in result.stderr
