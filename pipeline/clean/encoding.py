"""Text repair: the ``repair`` stage.

Once `pipeline.read.decoding` has made text of the bytes, `repair_text` undoes damage done before the bytes reached
us: mojibake ftfy knows how to reverse, and GBK/Big5 bytes that somebody read
as Latin-1 (which ftfy cannot reverse, since it only knows Western codecs).
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import ftfy
import ftfy.badness
import ftfy.chardata
import ftfy.fixes
import numpy as np

from pipeline.clean.cyrillic import fix_cyrillic_as_cp1252
from pipeline.core.chardata import COMMON_HAN_MASK, SINGLE_BYTE_READINGS, SYMBOL_RANGES
from pipeline.core.config import Config
from pipeline.core.document import (
    FLAG_GBK_AS_LATIN1_FIXED,
    FLAG_MOJIBAKE_FIXED,
    FLAG_UNRECOVERABLE,
    Document,
)
from pipeline.core.patterns import CJK_CHAR, HAN_CHAR, is_han
from pipeline.read.decoding import MIN_SNIFF_BYTES, decodes, detect, fits_cjk
from pipeline.read.plausible import plausible_word

# ftfy's defaults are tuned for Western text. Two of its fixes rewrite correct
# Chinese typography: uncurl_quotes turns “ ” ‘ ’ into ASCII quotes, and
# fix_character_width folds full-width forms (，（）：) into ASCII. Both stay off.
# NFC, unlike NFKC, leaves full-width punctuation alone.
FTFY_CONFIG = ftfy.TextFixerConfig(
    uncurl_quotes=False,
    fix_character_width=False,
    normalization="NFC",
)

# ftfy and the legacy re-read alternate until the text stops changing, at most this often.
MAX_REPAIR_ROUNDS = 4
_LINE_BREAK = re.compile("\r\n?|[\u2028\u2029]")
_LINE_EDGE_SPACE = re.compile(r"^[ \t\xa0\u3000]+|[ \t\xa0\u3000]+$", re.MULTILINE)
# Text made only of these is left as it is by every ftfy fix we run (no
# Latin-1 letters or cp1252 look-alikes, only the NBSP and middle dot that
# Chinese text uses, no '&' entity, no escape or control character, no CR,
# nothing NFC changes) and by the GBK/Big5 re-read, which needs Latin-1
# letters. Most clean Chinese pages are such text, and
# skipping ftfy for them is the difference between a slow stage and a fast one.
# Symbols of Chinese text (Ⅱ ② ∶ → ※) join them, less every character that
# some single-byte reading of UTF-8 bytes, one of those ftfy undoes, produces:
# mojibake can never hold the rest.
_MOJIBAKE_CHARS = {
    ch
    for encoding in ftfy.chardata.CHARMAP_ENCODINGS
    for ch in bytes(range(0x80, 0x100)).decode(encoding, errors="ignore")
}
_SAFE_SYMBOLS = "".join(
    re.escape(ch)
    for low, high in SYMBOL_RANGES
    for ch in map(chr, range(low, high + 1))
    if ch not in _MOJIBAKE_CHARS and unicodedata.is_normalized("NFC", ch) and not unicodedata.combining(ch)
)
_NOTHING_TO_REPAIR = re.compile(
    "[\t\n\x20-\x25\x27-\x7e\xa0\xb7\u2010-\u2027\u2030-\u203e\u25a0-\u25ff"
    "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uffee" + _SAFE_SYMBOLS + "]*"
)


def repair_text(text: str, legacy_encodings: tuple[str, ...] = ("gb18030", "big5")) -> tuple[str, tuple[str, ...]]:
    """Undo mojibake; return the text and the flags of the fixes that fired.

    >>> repair_text("中国政府".encode("gb18030").decode("latin-1"))
    ('中国政府', ('gbk_as_latin1_fixed',))
    >>> repair_text("××小区出现疑似病例，气温25°C，误差±0.5。")
    ('××小区出现疑似病例，气温25°C，误差±0.5。', ())
    >>> repair_text("“引号”与，全角。")
    ('“引号”与，全角。', ())
    """
    flags: tuple[str, ...] = ()
    # Each repair can expose work for the other (ftfy turning a stray UTF-8
    # sequence into a byte the GBK re-read completes), so both run until the
    # text stops changing, or until it is text that nothing repairs (as a page
    # whose GBK was re-read usually is after one round): a second cleaning
    # pass then has nothing to do.
    for _ in range(MAX_REPAIR_ROUNDS):
        if _NOTHING_TO_REPAIR.fullmatch(text):
            break
        before = text
        # Spaces at line edges are layout, trimmed later anyway; trimmed first,
        # they cannot sway ftfy's judgement of the characters next to them.
        text = _LINE_EDGE_SPACE.sub("", _LINE_BREAK.sub("\n", text))
        # ftfy would drop them anyway; dropped first, they cannot split the
        # stretches that the GBK/Big5 re-read looks at. (ftfy's own removal is
        # a translate() over a large table: looking for them first is cheaper.)
        if _FTFY_CONTROL_CHARS.search(text):
            text = ftfy.fixes.remove_control_chars(text)
        recovered = fix_legacy_cjk_as_latin1(text, legacy_encodings)
        if recovered is not None:
            text, flags = recovered, flags + (FLAG_GBK_AS_LATIN1_FIXED,)
        # Cyrillic read as cp1252 before ftfy, which would take its "Â " (В)
        # for a no-break space; after the GBK re-read, which leaves words of
        # single-byte code pages alone and takes what is GBK beyond doubt.
        cyrillic = fix_cyrillic_as_cp1252(text)
        if cyrillic is not None:
            text, flags = cyrillic, flags + (FLAG_MOJIBAKE_FIXED,)
        fixed = ftfy.fix_text(text, config=FTFY_CONFIG) if _ftfy_has_work(text) else text
        if fixed != text:
            # Whatever ftfy changed (mojibake, C1 controls, entities) was damage.
            flags += (FLAG_MOJIBAKE_FIXED,)
        text = fixed
        if text == before:
            break
    return text, tuple(dict.fromkeys(flags))


def _ftfy_has_work(text: str) -> bool:
    """Whether ftfy (as configured) could change ``text``; far cheaper than running it.

    Its encoding fix gives up on text that ftfy's own badness check passes,
    and each other fix needs a character this looks for. Pinyin (xìng) or a
    × in a Chinese page would otherwise send the whole page through ftfy.
    """
    return bool(_FTFY_TRIGGERS.search(text) or not unicodedata.is_normalized("NFC", text) or ftfy.badness.is_bad(text))


# What `ftfy.fixes.remove_control_chars` removes.
_FTFY_CONTROL_CHARS = re.compile(
    "[" + "".join(re.escape(chr(point)) for point in sorted(ftfy.chardata.CONTROL_CHARS)) + "]"
)

# Characters some ftfy fix other than the encoding fix acts on: HTML entities,
# terminal escapes, C1 controls, ligatures, line breaks, surrogates, controls.
_FTFY_TRIGGERS = re.compile("[&\x1b\x80-\x9f\ufb00-\ufb06\r\u2028\u2029\ud800-\udfff\x00-\x08\x0b\x0e-\x1f\x7f]")


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


def repair_document(doc: Document, legacy_encodings: tuple[str, ...]) -> Document:
    """The ``repair`` stage for one record: fix mojibake, flag text that is lost.

    Whether too much is lost is judged on the clean text, by the ``filter``
    stage, so that the verdict does not change when clean text is cleaned again.
    """
    if doc.rejected:
        return doc
    text, flags = repair_text(doc.text, legacy_encodings)
    doc = doc.replace(text=text).with_flag(*flags)
    return doc.with_flag(FLAG_UNRECOVERABLE) if doc.unrecoverable_chars else doc


def repair_batch(docs: list[Document], config: Config) -> list[Document]:
    """The ``repair`` stage over a batch."""
    legacy = legacy_cjk_encodings(config.encodings)
    return [repair_document(d, legacy) for d in docs]
