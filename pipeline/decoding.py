"""Bytes to text: the ``decode`` stage.

`decode_bytes` decides what the raw bytes of a file or record are (binary,
UTF-8, UTF-8 with damage, a legacy CJK encoding, a mix of both line by line)
and decodes them, or says why they cannot be text. Repairing text that was
decoded wrongly before it reached us is `pipeline.encoding`'s work.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import charset_normalizer

from pipeline.chardata import BINARY_MAGIC, BOMS
from pipeline.document import (
    FLAG_BOM_REMOVED,
    FLAG_INVALID_BYTES,
    FLAG_MIXED_ENCODINGS,
    FLAG_NUL_REMOVED,
    REJECT_BINARY,
    REJECT_EMPTY,
    REJECT_UNDECODABLE,
)
from pipeline.patterns import CJK_PUNCT, HAN

__all__ = ["BOMS", "Decoded", "decode_bytes", "decode_mixed_lines", "decodes", "detect", "fits_cjk"]

# Up to this share of bad UTF-8 sequences, the file is UTF-8 with damage (a
# truncated last character, a stray byte), not some other encoding.
MAX_INVALID_UTF8_RATIO = 0.001
MAX_NUL_RATIO = 0.01
MAX_CONTROL_RATIO = 0.05
SNIFF_BYTES = 64 * 1024
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
    if controls > MAX_CONTROL_RATIO * len(head):
        return Decoded(reject=REJECT_BINARY, detail=f"{controls} control bytes in the first {len(head)} bytes")

    flags: tuple[str, ...] = ()
    nul_count = raw.count(0)
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
        return _checked(mixed[0], f"utf-8+{mixed[1]}", flags + (FLAG_MIXED_ENCODINGS,))

    if len(raw) < MIN_SNIFF_BYTES:
        # Too few bytes to detect anything: the first encoding in config order that fits.
        for codec in encodings:
            try:
                return _checked(raw.decode(codec), codec, flags)
            except (UnicodeDecodeError, LookupError):
                continue
    best = detect(raw, encodings)
    # The detector can find no match at all (a short page, a window cut
    # mid-character): bytes that one of the configured encodings reads without
    # a single error are text all the same, and are never rejected.
    strict = None if best is not None else next((codec for codec in encodings if decodes(raw, codec)), None)
    if strict is not None:
        return _checked(raw.decode(strict), codecs.lookup(strict).name, flags)
    if best is None:
        return Decoded(
            reject=REJECT_UNDECODABLE,
            detail=f"not UTF-8 ({bad} invalid sequences) and not any of: {', '.join(encodings)}",
        )
    try:
        text = raw.decode(best)
    except UnicodeDecodeError as error:
        # The sniffed prefix was clean but the rest is not: keep what decodes, flag the loss.
        text = raw.decode(best, errors="replace")
        flags += (FLAG_INVALID_BYTES,)
        if text.count("\ufffd") > MAX_INVALID_UTF8_RATIO * len(text) + 1:
            strict = next((codec for codec in encodings if decodes(raw, codec)), None)
            if strict is not None:
                return _checked(raw.decode(strict), codecs.lookup(strict).name, flags[:-1])
            return Decoded(reject=REJECT_UNDECODABLE, detail=f"looks like {best} but: {error}")
    return _checked(text, best, flags)


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
    codec = detect(sample, encodings) if len(sample) >= MIN_SNIFF_BYTES else None
    for candidate in ([codec] if codec else list(encodings)):
        try:
            decoded = {i: lines[i].decode(candidate) for i in legacy}
        except (UnicodeDecodeError, LookupError):
            continue
        text = "\n".join(decoded.get(i) or line.decode("utf-8") for i, line in enumerate(lines))
        return text, codecs.lookup(candidate).name
    return None


def detect(raw: bytes, encodings: tuple[str, ...] | list[str]) -> str | None:
    """The most plausible of ``encodings`` for ``raw`` (charset-normalizer), or None.

    When the detector scores several encodings the same (little non-ASCII
    text), the one listed first wins, so the config decides and not chance.
    """
    order = {codecs.lookup(name).name: i for i, name in enumerate(encodings)}
    matches = list(charset_normalizer.from_bytes(raw[:SNIFF_BYTES], cp_isolation=list(encodings)))
    if not matches:
        return None
    best = min(matches, key=lambda m: (m.chaos, -m.coherence, order.get(codecs.lookup(m.encoding).name, len(order))))
    return best.encoding


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
    controls = 0 if _PLAIN_TEXT.fullmatch(sample) else sum(1 for ch in sample if _is_junk(ch))
    if controls > MAX_CONTROL_RATIO * max(1, len(sample)):
        return Decoded(reject=REJECT_BINARY, detail=f"{controls} control characters in the first {len(sample)}")
    if not text.strip():
        return Decoded(reject=REJECT_EMPTY, detail="only whitespace after decoding")
    # Windows line ends would be undone by ftfy anyway; done here, a CRLF page
    # takes the fast path through repair like any other.
    return Decoded(text=text.replace("\r\n", "\n"), encoding=encoding, flags=flags)


# Text made only of these (assigned, printable or allowed whitespace, and the
# C1 controls of mojibake) holds no junk: the per-character check is skipped.
_PLAIN_TEXT = re.compile(
    "[\t\n\r\f\v\x1b\x20-\x7e\x80-\u024f\u2000-\u2064\u2070-\u218b\u2190-\u23ff\u2460-\u27bf"
    "\u3000-\u303f\u3041-\u3096\u3099-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f"
    "\uff01-\uffbe\ufeff]*"
)


def _is_junk(ch: str) -> bool:
    # C1 controls (U+0080-U+009F) are not junk here: they are what Latin-1
    # mojibake of GBK or UTF-8 looks like, and `repair_text` reverses it.
    if ch in "\t\n\r\f\v\x1b" or "\x80" <= ch <= "\x9f":
        return False
    return unicodedata.category(ch) in ("Cc", "Cs", "Cn")


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
_NOT_CJK_TEXT = re.compile(f"[^\\x00-\\x7f{HAN}{CJK_PUNCT}\\u2000-\\u206f\\u2100-\\u2bff\\u3000-\\u303f\\uff00-\\uffef]")
