"""Bytes to text: the ``decode`` stage.

`decode_bytes` decides what the raw bytes of a file or record are (binary,
UTF-8, UTF-8 with damage, a legacy CJK encoding, a mix of both line by line)
and decodes them, or says why they cannot be text. Repairing text that was
decoded wrongly before it reached us is `pipeline.clean.encoding`'s work.

A legacy decode is a guess, and a guess is accepted only when the text it
yields is plausible for its script (`plausible`: no Private Use Area, no
Latin-1 symbol inside a word, no CJK character inside a Latin word, no C1
control, ...). The candidates are tried in order (a charset the page declares,
charset-normalizer's ranking of the configured encodings, the configured
encodings in config order, then the common single-byte code pages ranked by
charset-normalizer); the first plausible one wins. When none is, the decode
the ranking put first is kept and flagged ``encoding_uncertain``: never silent.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from pipeline.core.chardata import (
    BINARY_MAGIC,
    BOMS,
    SINGLE_BYTE_FALLBACK,
    WIDE_ENCODINGS,
)
from pipeline.core.document import (
    FLAG_BOM_REMOVED,
    FLAG_ENCODING_UNCERTAIN,
    FLAG_INVALID_BYTES,
    FLAG_MIXED_ENCODINGS,
    FLAG_NUL_REMOVED,
    REJECT_BINARY,
    REJECT_EMPTY,
    REJECT_UNDECODABLE,
)
from pipeline.core.patterns import CJK_PUNCT, HAN
from pipeline.read.charset_guess import declared_charset, detect, ranked_encodings
from pipeline.read.plausible import PLAIN_TEXT, SNIFF_BYTES, is_junk, plausible

__all__ = [
    "BOMS",
    "Decoded",
    "decode_bytes",
    "decode_mixed_lines",
    "declared_charset",
    "decodes",
    "detect",
    "fits_cjk",
    "ranked_encodings",
]

# Up to this share of bad UTF-8 sequences, the file is UTF-8 with damage (a
# truncated last character, a stray byte), not some other encoding.
MAX_INVALID_UTF8_RATIO = 0.001
MAX_NUL_RATIO = 0.01
MAX_CONTROL_RATIO = 0.05
# Below this many bytes charset detection is a coin toss between GBK and Big5.
MIN_SNIFF_BYTES = 64
# C0 control bytes that no text encoding uses for text (NUL is judged apart,
# tab/newline/CR/FF/VT and ESC are legitimate in text files).
_CONTROL_BYTES = bytes(b for b in range(1, 0x20) if b not in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B))


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str = ""
    encoding: str | None = None
    flags: tuple[str, ...] = ()
    reject: str | None = None
    detail: str | None = None


def decode_bytes(raw: bytes, encodings: tuple[str, ...]) -> Decoded:
    """Decide what ``raw`` is and decode it, or say why it cannot be text.

    >>> decode_bytes("北京市委政法委发挥统筹协调作用。".encode("gb18030"), ("gb18030", "big5")).text
    '北京市委政法委发挥统筹协调作用。'
    >>> decode_bytes(b"\\xef\\xbb\\xbfhi", ()).flags
    ('bom_removed',)
    >>> decode_bytes(b"\\x89PNG\\r\\n\\x1a\\n....", ()).reject
    'binary'
    >>> decode_bytes(b"  \\n", ()).reject
    'empty'
    """
    if not raw.strip():
        return Decoded(reject=REJECT_EMPTY, detail=f"{len(raw)} bytes, no text")
    binary = _binary_kind(raw)
    if binary:
        return Decoded(reject=REJECT_BINARY, detail=binary)
    # A BOM names the encoding; UTF-16 bytes look like control bytes, so this
    # comes before the byte-level binary check (the decoded text is checked instead).
    for bom, codec in BOMS:
        if raw.startswith(bom):
            try:
                text = raw[len(bom) :].decode(codec)
            except UnicodeDecodeError as error:
                return Decoded(reject=REJECT_UNDECODABLE, detail=f"{codec} BOM but invalid {codec}: {error}")
            return _checked(text, codec if codec != "utf-8" else "utf-8-sig", (FLAG_BOM_REMOVED,))

    head = raw[:SNIFF_BYTES]
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    nul_count = raw.count(0)
    if controls > MAX_CONTROL_RATIO * len(head) or nul_count > MAX_NUL_RATIO * len(raw):
        # UTF-16 saved without its BOM has the bytes of binary data: its text says which it is.
        utf16 = utf16_without_bom(raw)
        if utf16 is not None:
            return _checked(*utf16)
    if controls > MAX_CONTROL_RATIO * len(head):
        return Decoded(reject=REJECT_BINARY, detail=f"{controls} control bytes in the first {len(head)} bytes")

    flags: tuple[str, ...] = ()
    if nul_count:
        if nul_count > MAX_NUL_RATIO * len(raw):
            return Decoded(reject=REJECT_BINARY, detail=f"{nul_count} NUL bytes in {len(raw)} bytes")
        raw = raw.replace(b"\x00", b"")
        flags += (FLAG_NUL_REMOVED,)

    try:
        return _checked(raw.decode("utf-8"), "utf-8", flags)
    except UnicodeDecodeError:
        pass
    lossy = raw.decode("utf-8", errors="replace")
    bad = lossy.count("\ufffd")
    valid_multibyte = len(lossy) - len(lossy.encode("ascii", "ignore")) - bad
    # Damaged UTF-8 (a cut last character) has few bad sequences among many good
    # ones; mostly-ASCII GBK text has a few bad ones and no good ones at all.
    if bad <= max(1, MAX_INVALID_UTF8_RATIO * len(lossy)) and valid_multibyte >= 10 * bad:
        return _checked(lossy, "utf-8", flags + (FLAG_INVALID_BYTES,))

    mixed = decode_mixed_lines(raw, encodings)
    if mixed is not None:
        uncertain = () if plausible(mixed[0]) else (FLAG_ENCODING_UNCERTAIN,)
        return _checked(mixed[0], f"utf-8+{mixed[1]}", flags + (FLAG_MIXED_ENCODINGS,) + uncertain)
    return _decode_legacy(raw, encodings, flags, bad)


def _decode_legacy(raw: bytes, encodings: tuple[str, ...], flags: tuple[str, ...], bad: int) -> Decoded:
    """Bytes that are not UTF-8: the first candidate decode that is plausible text (see the module's doc)."""
    narrow = _narrow(encodings)
    first: tuple[str, str, tuple[str, ...]] | None = None
    tried: set[str] = set()
    lossy_error: tuple[str, UnicodeDecodeError] | None = None
    declared = declared_charset(raw)
    if declared is not None:
        tried.add(declared)
        text = _strict(raw, declared)
        # A declaration is the page's word, taken when the bytes bear it out.
        if text is not None and plausible(text):
            return _checked(text, declared, flags)
    ranked = ranked_encodings(raw, narrow) if len(raw) >= MIN_SNIFF_BYTES else []
    for rank, codec in enumerate(ranked):
        tried.add(codec)
        text, extra = _strict(raw, codec), ()
        if text is None and rank == 0:
            # The sniffed prefix was clean but the rest is not: keep what
            # decodes and flag the loss, unless too much is lost.
            try:
                raw.decode(codec)
            except UnicodeDecodeError as error:
                lossy = raw.decode(codec, errors="replace")
                if lossy.count("\ufffd") <= MAX_INVALID_UTF8_RATIO * len(lossy) + 1:
                    text, extra = lossy, (FLAG_INVALID_BYTES,)
                else:
                    lossy_error = (codec, error)
        if text is None:
            continue
        if plausible(text):
            return _checked(text, codec, flags + extra)
        first = first or (codec, text, extra)
    # Too few bytes to detect anything, or no ranked encoding was plausible: the
    # configured encodings in config order. Bytes that one of them reads without
    # a single error are text all the same, and are never rejected.
    for codec in narrow:
        if codec in tried:
            continue
        tried.add(codec)
        text = _strict(raw, codec)
        if text is None:
            continue
        if plausible(text):
            return _checked(text, codec, flags)
        first = first or (codec, text, ())
    # None of the configured encodings gives plausible text: a common code page
    # (cp1250 Polish, cp1251 Russian) that does is what the page is.
    for codec in _single_byte_candidates(raw, tried):
        text = _strict(raw, codec)
        if text is not None and plausible(text):
            return _checked(text, codec, flags)
    if first is not None:
        codec, text, extra = first
        return _checked(text, codec, flags + extra + (FLAG_ENCODING_UNCERTAIN,))
    if lossy_error is not None:
        return Decoded(reject=REJECT_UNDECODABLE, detail=f"looks like {lossy_error[0]} but: {lossy_error[1]}")
    return Decoded(
        reject=REJECT_UNDECODABLE,
        detail=f"not UTF-8 ({bad} invalid sequences) and not any of: {', '.join(encodings)}",
    )


def _narrow(encodings: tuple[str, ...]) -> tuple[str, ...]:
    """The configured encodings by codec name, text encodings only, less the wide ones (read only with a BOM)."""
    names = []
    for name in encodings:
        try:
            info = codecs.lookup(name)
        except LookupError:
            continue
        if getattr(info, "_is_text_encoding", True) and info.name not in WIDE_ENCODINGS:
            names.append(info.name)
    return tuple(dict.fromkeys(names))


def _strict(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _single_byte_candidates(raw: bytes, tried: set[str]) -> list[str]:
    """The common single-byte code pages not tried yet, charset-normalizer's ranking first, then the table's order."""
    rest = [name for name in (codecs.lookup(c).name for c in SINGLE_BYTE_FALLBACK) if name not in tried]
    ranked = ranked_encodings(raw, rest) if rest else []
    return ranked + [name for name in rest if name not in ranked]


def decode_mixed_lines(raw: bytes, encodings: tuple[str, ...]) -> tuple[str, str] | None:
    """A page stitched from UTF-8 lines and lines in one legacy encoding, line by line.

    Scrapers that append to one file from several sources produce this. Each
    line that is valid UTF-8 is read as UTF-8, the others with the legacy
    encoding detected from them together. Returns (text, legacy encoding), or
    None when the bytes are not such a mix (no UTF-8 line with non-ASCII text,
    or legacy lines that do not decode cleanly).

    >>> page = "标题\\n".encode() + "北京市委政法委发挥统筹协调作用。".encode("gb18030") + "\\n正文。".encode()
    >>> decode_mixed_lines(page, ("gb18030", "big5"))
    ('标题\\n北京市委政法委发挥统筹协调作用。\\n正文。', 'gb18030')
    """
    lines = raw.split(b"\n")
    utf8_non_ascii = 0
    legacy: list[int] = []
    for index, line in enumerate(lines):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            legacy.append(index)
            continue
        if max(line, default=0) > 0x7F:
            # Short GBK/Big5 lines can be valid UTF-8 by chance (要聞 -> "Ҫ„"):
            # a UTF-8 line must also read as CJK text.
            if fits_cjk(text):
                utf8_non_ascii += 1
            else:
                legacy.append(index)
    if not utf8_non_ascii or not legacy:
        return None
    sample = b"\n".join(lines[i] for i in legacy)
    narrow = _narrow(encodings)
    codec = detect(sample, narrow) if len(sample) >= MIN_SNIFF_BYTES else None
    readings = []
    for candidate in [codecs.lookup(codec).name] if codec else list(narrow):
        text = _strict(sample, candidate)
        if text is None:
            continue
        readings.append(candidate)
        if plausible(text):
            break
    if not readings:
        return None
    # The last reading is plausible, or none is and the first one stands.
    candidate = readings[-1] if plausible(sample.decode(readings[-1])) else readings[0]
    decoded = {i: lines[i].decode(candidate) for i in legacy}
    text = "\n".join(decoded.get(i) or line.decode("utf-8") for i, line in enumerate(lines))
    return text, candidate


# What text saved as UTF-16 is made of: ASCII, Latin, Greek and Cyrillic letters,
# CJK (Han, kana, Hangul, their punctuation and full-width forms), general punctuation.
_UTF16_TEXT = re.compile(
    f"[\\t\\n\\r\\x20-\\x7e\\xa0-\\u024f\\u0370-\\u04ff{HAN}{CJK_PUNCT}\\u3040-\\u30ff\\uac00-\\ud7af\\uff00-\\uffef\\u2000-\\u206f]"
)
# Of the first characters of a UTF-16 decode, at least this share must be such text:
# binary data read as UTF-16 spreads over the whole plane (about 60% of it falls there).
MIN_UTF16_TEXT_SHARE = 0.95


def utf16_without_bom(raw: bytes) -> tuple[str, str, tuple[str, ...]] | None:
    """(text, codec, flags) when ``raw`` is UTF-16 (either byte order) saved without a BOM, beyond doubt; else None.

    Only one byte order can give text: the other gives characters from all
    over the plane. A stray last byte (a file cut short) is dropped and flagged.

    >>> utf16_without_bom("北京市委政法委发挥统筹协调作用。\\nBeijing, 2020.\\n".encode("utf-16-le"))
    ('北京市委政法委发挥统筹协调作用。\\nBeijing, 2020.\\n', 'utf-16-le', ())
    >>> utf16_without_bom(bytes(range(256)) * 4) is None
    True
    """
    flags: tuple[str, ...] = (FLAG_INVALID_BYTES,) if len(raw) % 2 else ()
    raw = raw[: len(raw) - len(raw) % 2]
    head = raw[:SNIFF_BYTES]
    for codec in ("utf-16-le", "utf-16-be"):
        # The head first: a large file of binary is not decoded whole twice to be refused.
        sample = head.decode(codec, errors="replace")
        if not sample or len(_UTF16_TEXT.findall(sample)) < MIN_UTF16_TEXT_SHARE * len(sample) or not plausible(sample):
            continue
        try:
            return raw.decode(codec), codec, flags
        except UnicodeDecodeError:
            continue
    return None


def _binary_kind(raw: bytes) -> str | None:
    for magic, kind in BINARY_MAGIC.items():
        if raw.startswith(magic):
            return kind
    return None


def _checked(text: str, encoding: str, flags: tuple[str, ...]) -> Decoded:
    """Reject decodes that produced control-character soup rather than text."""
    sample = text[:SNIFF_BYTES]
    # Junk is never printable; text nearly always is, once its whitespace and
    # format characters are set aside, so the per-character check is rare.
    controls = 0 if PLAIN_TEXT.fullmatch(sample) else sum(1 for ch in sample if is_junk(ch))
    if controls > MAX_CONTROL_RATIO * max(1, len(sample)):
        return Decoded(reject=REJECT_BINARY, detail=f"{controls} control characters in the first {len(sample)}")
    if not text.strip():
        return Decoded(reject=REJECT_EMPTY, detail="only whitespace after decoding")
    # Windows line ends would be undone by ftfy anyway; done here, a CRLF page
    # takes the fast path through repair like any other.
    return Decoded(text=text.replace("\r\n", "\n"), encoding=encoding, flags=flags)


# Text made only of these (assigned, printable or allowed whitespace, and the
# C1 controls of mojibake) holds no junk: the per-character check is skipped.
def decodes(raw: bytes, codec: str) -> bool:
    try:
        raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def fits_cjk(text: str) -> bool:
    """Its non-ASCII characters are (90%) CJK, or the symbols, punctuation and spaces of CJK text (□ ※ “” and the no-break space).

    >>> fits_cjk("书名：红楼梦\xa0\xa0作者：曹雪芹"), fits_cjk("Ã©tÃ©")
    (True, False)
    """
    if text.isascii():
        return False
    # Counted with C-speed regexes; the rare other symbol goes through unicodedata.
    misfits = sum(1 for ch in _NOT_CJK_TEXT.findall(text) if unicodedata.category(ch)[0] not in "PSZ")
    return misfits <= 0.1 * len(_NON_ASCII.findall(text))


_NON_ASCII = re.compile("[^\x00-\x7f]")
# Non-ASCII characters that are not plainly CJK text: neither ideographs nor
# CJK, general or Latin-1 punctuation and symbols.
_NOT_CJK_TEXT = re.compile(
    f"[^\\x00-\\x7f{HAN}{CJK_PUNCT}\\u2000-\\u206f\\u2100-\\u2bff\\u3000-\\u303f\\uff00-\\uffef]"
)


# --- Plausibility of a decode ------------------------------------------------
#
# A wrong guess of the encoding still "decodes": cp1252 reads any byte, GB18030
# nearly any pair. What gives it away is text no writer produces. Each rule
# below counts one kind of it; the characters each rule looks for are tables
# of `pipeline.core.chardata`. A correct page of any script scores 0 on each (a
# page whose characters are all CJK or ASCII is not even looked at by most).
