"""Chinese text in reportlab Paragraph markup: escaped, line breaks kept, CJK runs in the CID font."""

from chassis.pdf_fonts import CHINESE_FONT, markup, register_fonts


def test_latin_text_is_escaped_so_typed_markup_is_printed() -> None:
    assert markup('<b>Lee</b> & "Partners"') == '&lt;b&gt;Lee&lt;/b&gt; &amp; "Partners"'


def test_each_run_the_latin_fonts_cannot_draw_is_set_in_the_cid_font() -> None:
    assert markup("陳大文 v Wing Fat 榮發") == (
        f'<font name="{CHINESE_FONT}">陳大文</font> v Wing Fat <font name="{CHINESE_FONT}">榮發</font>'
    )


def test_line_breaks_are_kept_and_cp1252_punctuation_stays_latin() -> None:
    # An en dash and curly quotes are in cp1252, so the Latin font draws them.
    assert markup("one\r\ntwo \u2013 \u201cthree\u201d") == "one<br/>two \u2013 \u201cthree\u201d"


def test_registering_twice_is_harmless() -> None:
    register_fonts()
    register_fonts()
