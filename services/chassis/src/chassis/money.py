"""Money as people read it. Amounts are integer cents of Hong Kong dollars everywhere in the system."""

from __future__ import annotations


def hkd(cents: int) -> str:
    """``123456`` -> ``HK$1,234.56``; ``-1800`` -> ``-HK$18.00``."""
    sign = "-" if cents < 0 else ""
    return f"{sign}HK${abs(cents) // 100:,}.{abs(cents) % 100:02d}"
