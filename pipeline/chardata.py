"""Character and byte tables the decode and repair stages consult; data, not logic.

Kept apart from `pipeline.encoding` the way ftfy keeps its ``chardata``.
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
