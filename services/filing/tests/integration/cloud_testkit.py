"""Judiciary Cloud test helpers: uploads as a browser makes them, real HTTP PUTs of each part to S3
through the presigned URLs, and filings that name the uploads."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any, BinaryIO

import pdf_samples
import requests
from filing_testkit import Caller, World
from werkzeug.test import TestResponse

MiB = 1024 * 1024


class HashingWriter:
    """A file being written, hashed as it is written (so a 200 MB file is never read back to hash it)."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        return self._out.write(data)

    def tell(self) -> int:
        return self._out.tell()


def write_big_pdf(path: Path, size: int) -> str:
    """A valid one-page PDF of ``size`` bytes or a little more, streamed to ``path``; its SHA-256."""
    with open(path, "wb") as out:
        writer = HashingWriter(out)
        pdf_samples.stream_pdf_of_size(writer, size)
    return writer.sha256.hexdigest()


class PartReader:
    """``length`` bytes of a file from ``offset``, for requests to stream as one PUT body with a Content-Length."""

    def __init__(self, path: Path, offset: int, length: int) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close(), after requests has read it
        self._file.seek(offset)
        self._left = length
        self.len = length

    def read(self, size: int = -1) -> bytes:
        n = self._left if size < 0 else min(size, self._left)
        data = self._file.read(n)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._file.close()


def start(world: World, who: Caller, size: int, sha256: str, filename: str = "bundle.pdf") -> TestResponse:
    return world.call("POST", "/cloud/uploads", who, json={"filename": filename, "size": size, "sha256": sha256})


def part_urls(world: World, who: Caller, upload: dict[str, Any], numbers: list[int] | None = None) -> list[dict]:
    numbers = numbers or list(range(1, upload["parts"] + 1))
    answer = world.ok("POST", f"/cloud/uploads/{upload['upload_id']}/part-urls", who, json={"part_numbers": numbers})
    return answer["parts"]


def put_parts_from_file(world: World, who: Caller, upload: dict[str, Any], path: Path) -> None:
    """PUT every part of ``path`` to its presigned URL, each streamed from the file."""
    for part in part_urls(world, who, upload):
        reader = PartReader(path, (part["part_number"] - 1) * upload["part_size"], part["size"])
        try:
            response = requests.put(part["url"], data=reader, timeout=120)
        finally:
            reader.close()
        assert response.status_code == 200, response.text


def put_parts(world: World, who: Caller, upload: dict[str, Any], content: bytes, numbers: list[int] | None = None):
    """PUT the named parts (default: all) of ``content``."""
    for part in part_urls(world, who, upload, numbers):
        at = (part["part_number"] - 1) * upload["part_size"]
        response = requests.put(part["url"], data=content[at : at + part["size"]], timeout=60)
        assert response.status_code == 200, response.text


def complete(world: World, who: Caller, upload: dict[str, Any]) -> TestResponse:
    return world.call("POST", f"/cloud/uploads/{upload['upload_id']}/complete", who)


def uploaded(world: World, who: Caller, content: bytes, filename: str = "exhibit.pdf") -> dict[str, Any]:
    """A small file uploaded and completed: available."""
    response = start(world, who, len(content), hashlib.sha256(content).hexdigest(), filename)
    assert response.status_code == 201, response.get_data(as_text=True)
    upload = response.get_json()
    put_parts(world, who, upload, content)
    done = complete(world, who, upload)
    assert done.status_code == 200, done.get_data(as_text=True)
    return done.get_json()


def file_with(
    world: World,
    who: Caller,
    metadata: dict[str, Any],
    lead: bytes | None = None,
    connected: list[bytes] = (),  # type: ignore[assignment]
    client: Any = None,
) -> TestResponse:
    """POST /filings with exactly the file parts given (none for documents from the cloud)."""
    data: dict[str, Any] = {"metadata": json.dumps(metadata)}
    if lead is not None:
        data["lead"] = (io.BytesIO(lead), "lead.pdf")
    if connected:
        data["connected"] = [(io.BytesIO(b), f"exhibit-{n}.pdf") for n, b in enumerate(connected)]
    return (client or world.client).post(
        f"{world.api}/filings", headers=world.headers(who), data=data, content_type="multipart/form-data"
    )
