"""Highlighted snippets: the engines mark matches with two control characters that stored text
never holds (:func:`clean_text` removes them); the snippet is then HTML-escaped and the marks become
``<mark>...</mark>``, so nothing of a document's text can inject markup."""

from __future__ import annotations

import html

START = "\x02"
STOP = "\x03"
_CONTROL = {code: " " for code in (*range(0, 9), 11, 12, *range(14, 32), 127)}


def clean_text(text: str) -> str:
    """Document text as stored: control characters (the marks among them) become spaces."""
    return text.translate(_CONTROL)


def render(marked: str) -> str:
    """``marked`` (from ts_headline or snippet()) as safe HTML with ``<mark>`` around the matches."""
    out: list[str] = []
    open_mark = False
    for piece in _split(marked):
        if piece == START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif piece == STOP:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(html.escape(piece, quote=True))
    if open_mark:
        out.append("</mark>")
    return "".join(out)


def _split(marked: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    for ch in marked:
        if ch in (START, STOP):
            if current:
                pieces.append("".join(current))
                current = []
            pieces.append(ch)
        else:
            current.append(ch)
    if current:
        pieces.append("".join(current))
    return pieces
