"""GBK or Big5 bytes that somebody read as Latin-1: found stretch by stretch and read again.

Run by the ``repair`` stage (`pipeline.clean.encoding.repair_text`). ftfy cannot
undo this damage, since it only knows Western codecs. A stretch is read again
only when the result is Chinese beyond doubt: a word of some single-byte code
page (a name with accents, a Cyrillic word) stays as written.
"""

from __future__ import annotations

import codecs
import re

import numpy as np

from pipeline.core.chardata import COMMON_HAN_MASK, SINGLE_BYTE_READINGS
from pipeline.core.patterns import CJK_CHAR, HAN_CHAR, is_han
from pipeline.read.decoding import MIN_SNIFF_BYTES, decodes, detect, fits_cjk
from pipeline.read.plausible import plausible_word

__all__ = ["fix_legacy_cjk_as_latin1", "legacy_cjk_encodings"]


def fix_legacy_cjk_as_latin1(text: str, encodings: tuple[str, ...]) -> str | None:
    """Re-read the stretches of text whose GBK/Big5 bytes were decoded as Latin-1/cp1252.

    Each line's stretches of characters that a Latin-1/cp1252 reading can
    produce are tried on their own, so a misread stretch is repaired even next
    to correct Chinese (a page stitched from two sources). A stretch is
    replaced only when it becomes clean CJK text, so genuine Western text
    with accents is never touched, and only when the stretches that do
    together hold at least 4 Latin-1 characters (one CJK character in two
    bytes is too little evidence). A stretch that reads as a word of a
    single-byte code page (`_single_byte_word`: Ðîññèè is Cyrillic, w³adze
    Polish) is never re-read; one in capitals (ÖÐÎÄ, 中文, or ÐÎÑÑÈÈ,
    РОССИИ) only beside a stretch that is mojibake beyond doubt. Returns
    None when nothing was repaired.

    >>> fix_legacy_cjk_as_latin1("Ã©tÃ© à Paris", ("gb18030",)) is None
    True
    >>> fix_legacy_cjk_as_latin1("ÖÐ¹úÕþ¸®½ñÌì·¢²¼Í¨Öª¡£", ("gb18030", "big5"))
    '中国政府今天发布通知。'
    >>> fix_legacy_cjk_as_latin1("下转第三版ÄãºÃ", ("gb18030",))
    '下转第三版你好'
    >>> fix_legacy_cjk_as_latin1("Ïðåçèäåíò Ðîññèè", ("gb18030",)) is None
    True
    """
    whole = _whole_text_as_legacy(text, encodings)
    if whole is not None:
        return whole
    pieces = _LATIN1_STRETCH.split(text)
    # split() puts the captured stretches at odd indexes.
    # Typographic punctuation (… “ ” — are cp1252 bytes too) is common in correct
    # Chinese text, so only Latin-1 letters and C1 controls count as evidence.
    if not _LATIN1_EVIDENCE.search(text):
        return None
    # The NBSP and middle dot of Chinese typography (张·\xa0三) are no evidence.
    evidence = {i: len(_LATIN1_EVIDENCE.findall(pieces[i])) for i in range(1, len(pieces), 2)}
    stretches = {i: pieces[i].translate(_CP1252_TO_LATIN1).encode("latin-1") for i, n in evidence.items() if n >= 2}
    shapes = {i: _single_byte_word(raw) for i, raw in stretches.items()}
    stretches = {i: raw for i, raw in stretches.items() if shapes[i] != "word"}
    if sum(len(raw) for raw in stretches.values() if _is_utf8(raw)) * 2 > sum(len(raw) for raw in stretches.values()):
        # Mostly valid UTF-8: UTF-8 read as Latin-1, which is ftfy's to undo
        # (random GBK bytes are seldom valid UTF-8; short stretches can be).
        return None
    by_codec: dict[str, dict[int, str]] = {}
    for codec in encodings:
        clean = {
            i: decoded
            for i, raw in stretches.items()
            if (decoded := _clean_cjk(raw, codec)) is not None and _may_follow(decoded)
        }
        if clean:
            by_codec.setdefault(codecs.lookup(codec).name, clean)
    if not by_codec:
        return None
    # A codec that reads every stretch beats one that reads only some; the
    # detector is asked only when that does not settle it.
    most = max(len(clean) for clean in by_codec.values())
    by_codec = {name: clean for name, clean in by_codec.items() if len(clean) == most}
    codec = next(iter(by_codec))
    if len(by_codec) > 1:
        # GBK and Big5 byte ranges overlap, so both often decode "cleanly": on
        # enough bytes the detector tells them apart; on a few, config order decides.
        sample = b"\n".join(stretches[i] for i in sorted(set().union(*by_codec.values())))
        best = detect(sample, list(by_codec)) if len(sample) >= MIN_SNIFF_BYTES else None
        codec = codecs.lookup(best).name if best is not None and codecs.lookup(best).name in by_codec else codec
    fixed = by_codec[codec]
    # One stretch at least must be mojibake beyond doubt; then the others that
    # read as common Han text in the same encoding go with it.
    if sum(evidence[i] for i in fixed) < 4 or not any(
        _beyond_doubt(pieces[i], text) for i, text in fixed.items() if shapes[i] is None
    ):
        return None
    return "".join(fixed.get(i, piece) for i, piece in enumerate(pieces))


def _whole_text_as_legacy(text: str, encodings: tuple[str, ...]) -> str | None:
    """The common case first: a whole page misread, with no correct CJK in it.

    If the whole text reads as exactly one of the encodings, as CJK text, the
    stretch-by-stretch work is not needed: stretches split at bytes that no
    GBK or Big5 character contains, so each of them reads the same way.
    """
    try:
        raw = text.translate(_CP1252_TO_LATIN1).encode("latin-1")
    except UnicodeEncodeError:
        return None
    if raw.isascii() or _is_utf8(raw) or len(_LATIN1_EVIDENCE.findall(text)) < 4:
        return None
    readings = list(dict.fromkeys(codecs.lookup(codec).name for codec in encodings if decodes(raw, codec)))
    if len(readings) != 1:
        return None
    # Mostly words of a single-byte code page (Cyrillic with even-length
    # words reads as GBK too): stretch by stretch instead.
    words = sum(
        len(stretch)
        for stretch in _LATIN1_STRETCH.findall(text)
        if len(stretch) >= MIN_WORD_LETTERS
        and _LATIN1_LETTER.search(stretch)
        and _single_byte_word(stretch.translate(_CP1252_TO_LATIN1).encode("latin-1"))
    )
    if 2 * words > len(_LATIN1_EVIDENCE.findall(text)):
        return None
    decoded = raw.decode(readings[0])
    return decoded if fits_cjk(decoded) and CJK_CHAR.search(decoded) and _beyond_doubt(text, decoded) else None


def _beyond_doubt(latin1: str, decoded: str) -> bool:
    """Whether a re-read of Latin-1 text as GBK/Big5 is mojibake beyond reasonable doubt.

    It must read as common Han text (`_reads_as_common_han`), and the Latin-1
    text must hold a letter: × ± ÷ ° © are what Chinese text really holds
    (××小区, 25°C, ±0.5), and a pair of × reads as a character too (鬃).

    >>> _beyond_doubt("ÖÐ¹úÕþ¸®", "中国政府"), _beyond_doubt("××", "鬃")
    (True, False)
    >>> _beyond_doubt("××××", "鬃鬃"), _beyond_doubt("ÕÅÈý", "张三")
    (False, True)
    """
    return bool(_LATIN1_LETTER.search(latin1)) and _reads_as_common_han(decoded)


def _single_byte_word(raw: bytes) -> str | None:
    """Whether the bytes of a misread stretch are a word of a single-byte code page: "word", "upper" (in capitals), or None.

    Read as it stands (cp1252), as Central European (cp1250) and as Cyrillic
    (cp1251). A word in lower case or with a capital first is never GBK/Big5
    beyond doubt: those bytes put a symbol or a capital (0xB0-0xD7) first in
    every common character. A word in capitals may be either (ÖÐÎÄ is 中文,
    ÐÎÑÑÈÈ is РОССИИ).

    Under four letters a word is one GBK character at most, which is never
    repaired alone: those are left to the other rules (Íõ, 王, is Нх).

    >>> [_single_byte_word(s.encode("latin-1")) for s in ("Ðîññèè", "ó÷åíèé", "w³adze", "ÖÐÎÄ", "ÖÐ¹úÕþ", "ÄãºÃ", "ÕÅÈý", "Íõ")]
    ['word', 'word', 'word', 'upper', None, None, None, None]
    """
    if len(raw) < MIN_WORD_LETTERS:
        return None
    shape = None
    for codec in SINGLE_BYTE_READINGS:
        try:
            word = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if plausible_word(word) and not word.isascii():
            if not word.isupper():
                return "word"
            shape = "upper"
    return shape


# A stretch shorter than this is one GBK/Big5 character at most: never a word that blocks the re-read.
MIN_WORD_LETTERS = 4


def _reads_as_common_han(decoded: str) -> bool:
    """At least two different Han characters, nearly all of them common ones (`chardata.COMMON_HAN`).

    >>> _reads_as_common_han("北京"), _reads_as_common_han("鬃鬃"), _reads_as_common_han("齄鼾")
    (True, False, False)
    """
    han = _han_points(decoded)
    return len(han) >= 2 and bool((han != han[0]).any()) and _common_share(han) >= COMMON_HAN_SHARE


def _mostly_common_han(decoded: str) -> bool:
    han = _han_points(decoded)
    return not len(han) or _common_share(han) >= COMMON_HAN_SHARE


def _han_points(text: str) -> np.ndarray:
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return points[is_han(points)]


def _common_share(han: np.ndarray) -> float:
    # Common characters all lie in the Basic Multilingual Plane.
    in_bmp = han < len(COMMON_HAN_MASK)
    return float(COMMON_HAN_MASK[han[in_bmp]].sum()) / len(han)


def _may_follow(decoded: str) -> bool:
    """A stretch repaired beside one that is beyond doubt: CJK punctuation and symbols (。 □), or common Han text.

    A lone character (×× reads as 鬃) is not enough even there: a page
    stitched from two sources can hold a real ×× next to real mojibake.

    >>> _may_follow("。"), _may_follow("北京"), _may_follow("鬃"), _may_follow("鬃鬃")
    (True, True, False, False)
    """
    return not HAN_CHAR.search(decoded) or _reads_as_common_han(decoded)


def _clean_cjk(raw: bytes, codec: str) -> str | None:
    """``raw`` decoded with ``codec`` if that gives CJK text (90% of its non-ASCII), else None.

    A few byte sequences the scraper broke (the first byte of a four-byte
    GB18030 character dropped as an undefined cp1252 byte) cannot be read
    back: they become U+FFFD, flagged as text lost, when the rest reads as
    common Han text; more than one in ``LOSSY_CHARS`` characters, and the
    stretch is left as it is.
    """
    try:
        candidate = raw.decode(codec)
    except LookupError:
        return None
    except UnicodeDecodeError:
        candidate = raw.decode(codec, errors="replace")
        lost = candidate.count("\ufffd")
        if lost * LOSSY_CHARS > len(candidate) or not _reads_as_common_han(candidate.replace("\ufffd", "")):
            return None
    return candidate if fits_cjk(candidate) else None


# A stretch may lose one character in this many and still be read back (see `_clean_cjk`).
LOSSY_CHARS = 20


_LATIN1_EVIDENCE = re.compile("[\x80-\x9f\xa1-\xb6\xb8-\xff]")
# Latin-1 letters (not × ÷, which are symbols among them).
_LATIN1_LETTER = re.compile("[\xc0-\xd6\xd8-\xf6\xf8-\xff]")
# Share of the Han characters of a re-read that must be common ones.
COMMON_HAN_SHARE = 0.9


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_CP1252_SPECIALS = {bytes([b]).decode("cp1252", errors="ignore"): b for b in range(0x80, 0xA0)}
_CP1252_SPECIALS.pop("", None)
# cp1252's specials (€ ‚ ƒ … “ ”) back to the Latin-1 character of their byte.
_CP1252_TO_LATIN1 = {ord(ch): byte for ch, byte in _CP1252_SPECIALS.items()}
# Characters a Latin-1/cp1252 reading of GBK/Big5 bytes can produce, in runs.
# Runs stop at line ends, spaces and ASCII punctuation (0x20-0x2F, 0x3A-0x3F),
# which are never part of a GBK or Big5 character: later stages move lines and
# turn that punctuation full-width, and must not change what a run holds.
# Digits stay: GB18030's four-byte characters use them.
_LATIN1_STRETCH = re.compile("([0-9\x40-\x7e\x80-\xff" + re.escape("".join(_CP1252_SPECIALS)) + "]+)")


def legacy_cjk_encodings(encodings: tuple[str, ...]) -> tuple[str, ...]:
    """The configured encodings whose bytes a Latin-1 misreading can hide.

    >>> legacy_cjk_encodings(("gb18030", "shift_jis", "Big5", "cp1252"))
    ('gb18030', 'Big5')
    """
    chinese = {"gb18030", "gbk", "gb2312", "big5", "big5hkscs"}
    return tuple(e for e in encodings if codecs.lookup(e).name in chinese) or ("gb18030",)
