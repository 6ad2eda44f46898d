"""Character and byte tables the decode and repair stages consult; data, not logic.

Kept apart from `pipeline.clean.encoding` the way ftfy keeps its ``chardata``.
"""

from __future__ import annotations

import numpy as np

# File signatures of formats that scrapers save by mistake next to text.
BINARY_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF87a": "GIF image",
    b"GIF89a": "GIF image",
    b"%PDF-": "PDF document",
    b"PK\x03\x04": "ZIP archive (or docx/xlsx)",
    b"\x1f\x8b": "gzip archive",
    b"7z\xbc\xaf\x27\x1c": "7z archive",
    b"Rar!\x1a\x07": "RAR archive",
    b"\x7fELF": "ELF executable",
    b"RIFF": "RIFF media (WebP, WAV, AVI)",
}

# Byte-order marks, longest first where one is a prefix of another.
BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

# Symbol blocks of Chinese text (Ⅱ ② ∶ → ※ ■): number forms, arrows, math
# operators, enclosed alphanumerics, box drawing, miscellaneous symbols.
SYMBOL_RANGES = ((0x2150, 0x21FF), (0x2200, 0x22FF), (0x2460, 0x24FF), (0x2500, 0x259F), (0x2600, 0x27BF))


def _decoded_block(codec: str, leads: range, trails: range) -> frozenset[str]:
    chars = set()
    for lead in leads:
        for trail in trails:
            try:
                chars.add(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


# The Han characters of everyday text: GB2312 level 1 (3,755 simplified
# characters, rows 0xB0-0xD7, about 99.7% of running simplified text) and
# Big5's frequently used block (5,401 traditional ones, 0xA440-0xC67E); either
# script can arrive in either encoding (a Taiwanese page in GB18030). A stretch
# that re-reads as GBK/Big5 is mojibake beyond doubt only when it reads as
# these, not as the rare characters random Latin-1 letters give.
COMMON_HAN = (
    _decoded_block("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))
    | _decoded_block("big5", range(0xA4, 0xC6), range(0x40, 0xFF))
    | _decoded_block("big5", range(0xC6, 0xC7), range(0x40, 0x7F))
)

# The same set as a lookup table over the Basic Multilingual Plane, so that a
# whole page is judged with one array operation.
COMMON_HAN_MASK = np.zeros(0x10000, dtype=bool)
COMMON_HAN_MASK[[ord(ch) for ch in COMMON_HAN]] = True


# --- What a correct decode never holds (`pipeline.read.decoding.oddities`) ---------
#
# Each table below names characters that a wrong guess of the encoding makes
# and running text does not hold where the rule looks for them. The rules are
# in `pipeline.read.decoding`; the characters are here.

# Private Use Area: no standard character. A GBK/GB18030 decoder makes it of
# Big5's punctuation (A1 40-A1 A0: ，。、) and of the user-defined rows.
PRIVATE_USE = "\ue000-\uf8ff\U000f0000-\U0010fffd"

# Half-width katakana: what Shift-JIS makes of GBK and Big5 lead bytes (0xA1-0xDF);
# Japanese news writes katakana full width.
HALF_WIDTH_KATAKANA = "\uff61-\uff9f"

# C1 controls: what ISO-8859 decoders make of the bytes 0x80-0x9F that
# Windows code pages use for letters and quotes.
C1_CONTROLS = "\x80-\x9f"

# Symbols of Latin-1 and cp1252 (0x80-0xFF) that single-byte code pages use
# for letters elsewhere: cp1250's ł ą ż Ł Ż are ³ ¹ ¿ £ ¯ in cp1252, cp1251's
# ё ч є і are ¸ ÷ º ³. Next to a word (25°C, ±0.5, m², ¿Qué?, «oui», ©AFP,
# Windows®) they are text; with a letter on both sides (w³adze, mo¿e), mojibake.
# Not here: · (Catalan l·l), ’ (an apostrophe), – — (dashes between words).
LATIN1_SYMBOLS = "¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶¸¹º»¼½¾¿×÷ƒ„†‡ˆ‰‹›•˜™€"

# Latin letters beyond ASCII: Latin-1's (less × ÷) and Latin Extended-A/B. No
# Latin-script language writes a word of three of them with no ASCII letter;
# Cyrillic or Greek read with a Latin code page does (Ïðåçèäåíò Ðîññèè).
NON_ASCII_LATIN = "À-ÖØ-öø-ɏ"

# Box drawing and block elements: what KOI8-R and the DOS code pages make of
# 0x80-0xBF. Between two letters of an alphabet, like the symbols above.
BOX_DRAWING = "\u2500-\u259f"

# Letters of the alphabets (Latin, Greek, Cyrillic), the neighbours that make
# a symbol between them a misread letter. Han is not among them: Chinese
# puts symbols between ideographs (中×美, 首页│新闻).
ALPHABET_LETTERS = "A-Za-zÀ-ÖØ-öø-ɏͰ-ϿЀ-ӿ"

# Lower-case letters, and upper-case ones beyond ASCII: a lower-case letter
# followed by such an upper-case one inside a word is a misread letter
# (cp1250's ź is cp1252's Ÿ: b¹dŸ for bądź; KOI8-R read as cp1251 swaps the
# case of every Cyrillic letter). ASCII alone is camel case (iPhone, McDonald).
LATIN_LOWER = "a-zß-öø-ÿšžœ"
LOWER_BEYOND_ASCII = "ß-öø-ÿšžœά-ώа-џ"
UPPER_BEYOND_ASCII = "À-ÖØ-ÞŠŽŒŸΆ-ΫЀ-Я"

# Vowels that follow œ in French (cœur, sœur, œil, œuvre, vœu); cp1250's ś is
# cp1252's œ, so coœ, jeœli, wiêkszoœæ are Polish misread.
AFTER_OE = "aeiouyAEIOUY"

# CJK characters: Han, kana, Hangul, half-width katakana. One between two
# Latin letters is a GBK, Big5 or Shift-JIS character that swallowed the
# letter after it (w砤dze for władze, rzｹd for rząd).
CJK_LETTERS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"

# Letters of the other alphabets single-byte code pages hold (Greek, Cyrillic,
# Hebrew, Arabic and its presentation forms, Thai): one that touches an ASCII
# letter is a letter of the wrong code page.
OTHER_ALPHABETS = "\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0e00-\u0e7f\ufb50-\ufdff\ufe70-\ufefc"

# Byte-order-less wide encodings: read only with a BOM (see `BOMS`). Without
# one, any even number of bytes "decodes" as UTF-16.
WIDE_ENCODINGS = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})

# Common single-byte code pages, tried (ranked by charset-normalizer) when no
# configured encoding gives plausible text: Central European, Cyrillic,
# Western, Greek, Turkish, Baltic, KOI8-R, Hebrew, Arabic.
SINGLE_BYTE_FALLBACK = ("cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1257", "koi8_r", "cp1255", "cp1256")

# The code pages a stretch of Latin-1 text may really be when it was misread:
# as it stands (cp1252), Central European, Cyrillic. A stretch that reads as a
# word in one of them is not GBK/Big5 beyond doubt (`pipeline.clean.encoding`).
SINGLE_BYTE_READINGS = ("cp1252", "cp1250", "cp1251")

# Vowels of the Cyrillic alphabets: a Russian or Ukrainian word of three
# letters or more holds one.
CYRILLIC_VOWELS = "аеёиоуыэюяіїєАЕЁИОУЫЭЮЯІЇЄ"

# Charset labels of HTML and XML declarations (<meta charset>, <?xml encoding>)
# to the codec that reads what pages so labelled hold (as the WHATWG Encoding
# Standard maps them: a page labelled GB2312 or ISO-8859-1 is written in its
# superset GBK or windows-1252). None: a label no 8-bit page can mean (a page
# declaring UTF-16 in ASCII bytes is not UTF-16). Other labels are looked up
# with `codecs.lookup`.
DECLARED_CHARSETS: dict[str, str | None] = {
    **dict.fromkeys(
        ("gb2312", "gbk", "x-gbk", "gb_2312-80", "gb_2312", "csgb2312", "chinese", "iso-ir-58", "euc-cn", "cp936"),
        "gb18030",
    ),
    **dict.fromkeys(
        ("iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", "us-ascii", "ascii", "cp819", "ibm819"), "cp1252"
    ),
    **dict.fromkeys(("iso-8859-9", "iso8859-9", "latin5", "l5"), "cp1254"),
    **dict.fromkeys(("tis-620", "iso-8859-11", "iso8859-11"), "cp874"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "windows-31j", "csshiftjis"), "cp932"),
    **dict.fromkeys(("euc-kr", "ks_c_5601-1987", "ks_c_5601-1989", "ksc5601", "korean", "windows-949"), "cp949"),
    **dict.fromkeys(("big5", "x-x-big5", "cn-big5", "csbig5"), "big5"),
    **dict.fromkeys(
        (
            "utf-16",
            "utf-16le",
            "utf-16be",
            "utf-32",
            "utf-32le",
            "utf-32be",
            "unicode",
            "ucs-2",
            "utf-7",
            "x-user-defined",
        ),
        None,
    ),
}

# The characters cp1252 shows for the bytes that are Cyrillic letters in
# cp1251 (À-ÿ for А-я, ¸ ¨ for ё Ё, ³ ² º ª ¿ ¯ for і І є Є ї Ї, ...): what a
# Cyrillic page read as cp1252 is made of (`pipeline.clean.encoding`).
CP1251_LETTERS_AS_CP1252 = "".join(
    sorted(
        shown
        for byte in range(0x80, 0x100)
        if (shown := bytes([byte]).decode("cp1252", errors="ignore"))
        and "\u0400" <= bytes([byte]).decode("cp1251", errors="ignore") <= "\u04ff"
    )
)
