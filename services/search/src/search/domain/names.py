"""Names as the party search compares them.

``normalise_name`` makes ``CHAN, Tai-man``, ``chan tai man`` and ``Chàn  Tai Man`` the same string;
Chinese names keep their characters. ``trigrams`` and ``strict_word_similarity`` are PostgreSQL
pg_trgm's definitions (words padded with two spaces before and one after; Jaccard similarity of
trigram sets over the best run of whole words), so the SQLite backend scores names as PostgreSQL does.
"""

from __future__ import annotations

import re
import unicodedata

#: How like a name a party's must be (``strict_word_similarity``). pg_trgm's default, 0.5, let ``Chan Tai Man``
#: match 21,896 of a million cases' parties (bench/search-findings.md, 3). At 0.6 typos and Hong Kong's
#: other romanisations still match (``Chan Tai Mann``; ``Lee Siu Loong`` for ``LEE Siu Lung``, 0.62; ``Chen``
#: for ``Chan``, 0.67; ``Wang`` for ``Wong``, 0.69), which 0.7 would lose.
NAME_SIMILARITY_THRESHOLD = 0.6

_APOSTROPHES = dict.fromkeys(map(ord, "'`\u2018\u2019\u02bc\u02b9"), None)
_ASCII_WORD = re.compile("[a-z0-9|]")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0003134f]")


def normalise_name(text: str) -> str:
    """Full-width folded (NFKC), case-folded, accents and punctuation gone, single spaces.

    Apostrophes join (``O'Brien`` -> ``obrien``); other punctuation separates words
    (``Tai-man`` -> ``tai man``). What is left is letters, digits and single spaces only, so the
    result can never carry a LIKE wildcard or a full-text operator.
    """
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", folded)
    kept = "".join(ch if ch.isalnum() else " " for ch in decomposed if unicodedata.category(ch) not in ("Mn", "Me"))
    return unicodedata.normalize("NFC", " ".join(kept.split()))


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds Chinese (or Japanese, Korean) characters, which are matched as substrings."""
    return _CJK.search(text) is not None


def compact(normalised: str) -> str:
    """A normalised name without its spaces, for substring matching of Chinese names."""
    return normalised.replace(" ", "")


def character_pairs(compacted: str) -> set[str]:
    """The adjacent pairs of characters of a compacted name that are neither ASCII letters nor digits: what
    PostgreSQL's pairs index holds of each name (migration 0005's ``search_name_pairs``, the same rule), so
    a two-character Chinese name, which has no trigram, is found through an index."""
    return {
        compacted[i : i + 2]
        for i in range(len(compacted) - 1)
        if not (_ASCII_WORD.match(compacted[i]) or _ASCII_WORD.match(compacted[i + 1]))
    }


def word_trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def trigrams(normalised: str) -> set[str]:
    """pg_trgm's trigrams of a normalised string."""
    found: set[str] = set()
    for word in normalised.split():
        found |= word_trigrams(word)
    return found


def strict_word_similarity(query: str, target: str) -> float:
    """pg_trgm's ``strict_word_similarity``: the best Jaccard similarity between the query's trigrams
    and those of any run of whole words of ``target`` (both normalised)."""
    wanted = trigrams(query)
    if not wanted:
        return 0.0
    words = [word_trigrams(w) for w in target.split()]
    best = 0.0
    for start in range(len(words)):
        extent: set[str] = set()
        for word in words[start:]:
            extent |= word
            score = len(wanted & extent) / len(wanted | extent)
            if score > best:
                best = score
    return best


def padded_for_trigram_index(normalised: str) -> str:
    """The text the SQLite trigram index holds for a name: each word as pg_trgm pads it, so that
    every pg_trgm trigram of the name is a substring of this text (``"  chan   tai   man "``)."""
    return "".join(f"  {word} " for word in normalised.split())
