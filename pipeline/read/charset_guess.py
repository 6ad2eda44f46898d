"""Guessing a legacy encoding: the charset a page declares, and charset-normalizer's ranking.

`pipeline.read.decoding` asks these only for bytes that are not UTF-8 (nor
UTF-16): a declaration is believed when the bytes decode with it, and a
detector's guess is checked for plausibility there.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from pipeline.core.chardata import DECLARED_CHARSETS, WIDE_ENCODINGS
from pipeline.read.plausible import SNIFF_BYTES

__all__ = ["declared_charset", "detect", "ranked_encodings"]


def declared_charset(raw: bytes) -> str | None:
    """The codec of the charset a page declares (``<meta charset>``, ``<?xml encoding>``), or None.

    Labels are read as browsers read them (`chardata.DECLARED_CHARSETS`): a
    page labelled GB2312 is GBK, one labelled ISO-8859-1 is windows-1252.

    >>> declared_charset(b'<html><head><meta charset="windows-1251">')
    'cp1251'
    >>> declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    'gb18030'
    >>> declared_charset(b"no declaration"), declared_charset(b"<meta charset=utf-16>")
    (None, None)
    """
    match = _DECLARATION.search(raw[:DECLARATION_BYTES])
    if match is None:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").lower()
    if label in DECLARED_CHARSETS:
        return DECLARED_CHARSETS[label]
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in WIDE_ENCODINGS:
        return None
    return info.name


# Browsers look for the declaration in the first 1,024 bytes; scraped pages
# put scripts and styles first more often than that allows.
DECLARATION_BYTES = 8192
_DECLARATION = re.compile(
    rb"""<meta\b[^>]{0,1024}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:()+-]{1,40})"""
    rb"""|<\?xml\b[^>]{0,256}?encoding\s*=\s*["']([A-Za-z0-9_.:()+-]{1,40})""",
    re.IGNORECASE,
)


def detect(raw: bytes, encodings: tuple[str, ...] | list[str]) -> str | None:
    """The most plausible of ``encodings`` for ``raw`` (charset-normalizer), or None.

    When the detector scores several encodings the same (little non-ASCII
    text), the one listed first wins, so the config decides and not chance.
    """
    ranked = ranked_encodings(raw, encodings)
    return ranked[0] if ranked else None


def ranked_encodings(raw: bytes, encodings: tuple[str, ...] | list[str]) -> list[str]:
    """Those of ``encodings`` charset-normalizer finds a match for, most plausible first, by codec name.

    Ties (little non-ASCII text) go to the one listed first.
    """
    order = {codecs.lookup(name).name: i for i, name in enumerate(encodings)}
    matches = list(charset_normalizer.from_bytes(raw[:SNIFF_BYTES], cp_isolation=list(encodings)))
    ranked = sorted(
        matches, key=lambda m: (m.chaos, -m.coherence, order.get(codecs.lookup(m.encoding).name, len(order)))
    )
    return list(dict.fromkeys(codecs.lookup(m.encoding).name for m in ranked))
