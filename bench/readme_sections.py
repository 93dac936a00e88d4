"""Each benchmark writes its latest results into a section of its own in ``bench/README.md``."""

from __future__ import annotations

import argparse
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

README = Path(__file__).with_name("README.md")


def write_section(name: str, heading: str, text: str) -> None:
    """Replace what is between ``<!-- name:begin -->`` and ``<!-- name:end -->`` with ``text``;
    without those markers yet, append the section under ``heading``."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    current = README.read_text() if README.exists() else "# Benchmarks\n"
    block = f"{begin}\n{text}\n{end}"
    if begin in current:
        head, rest = current.split(begin, 1)
        current = head + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + f"\n\n## {heading}\n\n" + block + "\n"
    README.write_text(current)


def run_line(quick: bool) -> str:
    """How each bench's results begin: when and on what machine they were measured, and whether only as a
    smoke run (``--quick``)."""
    return (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({platform.machine()}, "
        f"{os.cpu_count()} CPUs){' (--quick)' if quick else ''}"
    )


def publish(name: str, heading: str, text: str, args: argparse.Namespace) -> None:
    """Print the results; write them into their section too, unless ``--no-readme`` or a ``--quick`` smoke run
    (which must not replace a full run's numbers)."""
    print(text)
    if not args.no_readme and not args.quick:
        write_section(name, heading, text)
