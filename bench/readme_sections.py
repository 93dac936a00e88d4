"""Each benchmark writes its latest results into a section of its own in ``bench/README.md``."""

from __future__ import annotations

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
