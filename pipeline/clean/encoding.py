"""Text repair: the ``repair`` stage.

Once `pipeline.read.decoding` has made text of the bytes, `repair_text` undoes damage done before the bytes reached
us: mojibake ftfy knows how to reverse, and GBK/Big5 bytes that somebody read
as Latin-1 (which ftfy cannot reverse, since it only knows Western codecs:
`pipeline.clean.legacy_cjk`), and Cyrillic read as cp1252 (`pipeline.clean.cyrillic`).
"""

from __future__ import annotations

import re
import unicodedata

import ftfy
import ftfy.badness
import ftfy.chardata
import ftfy.fixes

from pipeline.clean.cyrillic import fix_cyrillic_as_cp1252
from pipeline.clean.legacy_cjk import fix_legacy_cjk_as_latin1, legacy_cjk_encodings
from pipeline.core.chardata import SYMBOL_RANGES
from pipeline.core.config import Config
from pipeline.core.document import (
    FLAG_GBK_AS_LATIN1_FIXED,
    FLAG_MOJIBAKE_FIXED,
    FLAG_UNRECOVERABLE,
    Document,
)

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
