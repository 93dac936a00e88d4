"""Chinese text in the PDFs the services render with reportlab (filing's originating documents,
payments's receipts): the MSung-Light CID font every PDF reader has, and Paragraph markup that sets
each run the Latin fonts cannot draw in it.

Needs reportlab, which only the services that render PDFs install (``icms-chassis[pdf]``).
"""

from __future__ import annotations

from functools import cache
from itertools import groupby
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

CHINESE_FONT = "MSung-Light"


class _TraditionalChineseFont(UnicodeCIDFont):
    """MSung-Light with the Unicode CMap of its own character collection (Adobe-CNS1). reportlab's table
    pairs it with UniGB-UCS2-H, the CMap of the simplified Chinese collection (Adobe-GB1); readers that
    honour the CMap, such as Poppler, then find no glyphs and print nothing."""

    def __init__(self) -> None:
        super().__init__(CHINESE_FONT)
        # Only the name reaches the PDF; widths come from the font's Unicode table, not the CMap.
        self.encodingName = "UniCNS-UCS2-H"


@cache
def register_fonts() -> None:
    """Register the CID font with reportlab (once per process); call before building a document."""
    pdfmetrics.registerFont(_TraditionalChineseFont())
    # Bold or italic markup around Chinese text falls back to the one face the CID font has.
    pdfmetrics.registerFontFamily(
        CHINESE_FONT, normal=CHINESE_FONT, bold=CHINESE_FONT, italic=CHINESE_FONT, boldItalic=CHINESE_FONT
    )


def markup(text: str) -> str:
    """``text`` as Paragraph markup: escaped, so markup a user typed is printed rather than obeyed, with
    line breaks kept and every run the Latin font cannot draw (Chinese, in practice) set in the CID font."""
    runs = []
    for needs_cid, characters in groupby(text.replace("\r\n", "\n"), key=_needs_cid_font):
        run = escape("".join(characters)).replace("\n", "<br/>")
        runs.append(f'<font name="{CHINESE_FONT}">{run}</font>' if needs_cid else run)
    return "".join(runs)


def _needs_cid_font(character: str) -> bool:
    try:
        character.encode("cp1252")  # the WinAnsi encoding of the standard Type 1 fonts
    except UnicodeEncodeError:
        return True
    return False
