"""The ``normalize`` stage: full-width punctuation where a scrape turned it into ASCII between CJK characters.

It runs after page dedup, on the article body once metadata lines and
repeated blocks are gone; numbers (63.4万, 21.1%, 1,000, 10:30) stay as
they are.
"""

from __future__ import annotations

import re
from array import array

import numpy as np

from pipeline.core.config import Config
from pipeline.core.document import Document
from pipeline.core.patterns import CJK_PUNCT, HAN, HAN_CHAR, han_count, is_han

_CJK = f"{HAN}{CJK_PUNCT}"
_ASCII_TO_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
# CJK on the left and anything but a space on the right (信箱:rmrb, 年,2020),
# or a number/percent on the left and an ideograph on the right. Digits on both
# sides (1,000 / 10:30 / 63.4) never match, so numbers are left alone. The
# full-width mark carries its own spacing, so a space after it goes.
_SYMBOLS = "\\u2460-\\u24ff\\u25a0-\\u25ff\\u2605\\u2606\\u00d7"  # ①, ▲■●◆, ★, ×
# Every rule starts with the ASCII mark (or the space before it) and looks
# back from there: a pattern that begins with a character class is scanned
# for in C, one that begins with a lookbehind is tried at every position
# (four times slower on a page). The mark after CJK is two rules, with and
# without a space in between, for the same reason.
_AFTER_CJK = f"[{_CJK}{_SYMBOLS}]"
_BEFORE_CJK = f"[ \\xa0]?(?=[{_CJK}{_SYMBOLS}0-9A-Za-z“‘(])"
_PUNCT_AFTER_CJK = re.compile(f"([,;:!?])(?<={_AFTER_CJK}.){_BEFORE_CJK}")
_PUNCT_AFTER_CJK_SPACE = re.compile(f"[ \\xa0](?<={_AFTER_CJK}.)([,;:!?]){_BEFORE_CJK}")
_PUNCT_BEFORE_HAN = re.compile(f"([,;:!?])(?<=[0-9A-Za-z%‰℃)\\u2460-\\u24ff].)[ \\xa0]?(?=[{HAN}“])")
# Between numbers, in a Chinese paragraph: a comma is a thousands separator only
# when exactly three digits follow (1,000 / 12,345); otherwise it separates items
# (增长0.1%,2020年 / 倒计时5,4,3 / 2020,21世纪), and a semicolon always does.
_PUNCT_BETWEEN_NUMBERS = re.compile(r"([,;])(?<=[0-9%‰℃].)(?=[0-9A-Za-z])")
_THOUSANDS_GROUP = re.compile(r"\d{3}(?!\d)")
_NON_HAN_LETTER = re.compile(f"[^\\W\\d_{HAN}]")
# A question or exclamation mark that ends a CJK sentence (end of line included).
_SENTENCE_MARK_AFTER_HAN = re.compile(f"([!?])(?<=[{HAN}].)(?=[ \\t]*$|[{_CJK}])", re.MULTILINE)
# A parenthesised aside in Chinese text: CJK inside it, or CJK right before it
# (卡马克装置(EAST) is typeset （EAST）; f(x) after a Latin letter is left alone).
_ASCII_MARKS = re.compile(r"[,;:!?()]")
_PAREN = re.compile(r"[()\n]")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CJK_PUNCT_RANGES = tuple(
    (ord(m.group(1)), ord(m.group(2) or m.group(1))) for m in re.finditer(r"(.)(?:-(.))?", CJK_PUNCT)
)
# Rounds of the punctuation rules: each can expose work for another (",(" ->
# "，(" puts the parenthesis after CJK punctuation), but not without end; the
# bound keeps a hostile page linear.
MAX_PUNCTUATION_ROUNDS = 8


def normalize_cjk_punctuation(text: str) -> str:
    """Full-width punctuation where a scrape put ASCII between CJK characters.

    >>> normalize_cjk_punctuation("以红色党建为引领,健全体系;牢记“绿水青山”,完善机制")
    '以红色党建为引领，健全体系；牢记“绿水青山”，完善机制'
    >>> normalize_cjk_punctuation("共结案63.4万件,以21.1%的法官化解了69.5%的纠纷")
    '共结案63.4万件，以21.1%的法官化解了69.5%的纠纷'
    >>> normalize_cjk_punctuation("稿件来源: 法治日报。街道(乡镇)政法委员")
    '稿件来源：法治日报。街道（乡镇）政法委员'
    >>> normalize_cjk_punctuation("Hello, world (test): 1,000 at 10:30.")
    'Hello, world (test): 1,000 at 10:30.'
    >>> normalize_cjk_punctuation("(作者为中央党校(国家行政学院)研究员)，装置(EAST)与函数f(x)")
    '（作者为中央党校（国家行政学院）研究员），装置（EAST）与函数f(x)'
    """
    # Each conversion can put a full-width mark next to an ASCII one (",(" ->
    # "，(" makes the parenthesis follow CJK punctuation). So the rules run
    # until nothing changes (a bounded number of rounds), and a second pass
    # over the result is a no-op.
    if not _ASCII_MARKS.search(text):
        return text
    # Letters do not change here, so neither does this.
    mostly_han = _mostly_han(text)
    for _ in range(MAX_PUNCTUATION_ROUNDS):
        converted = _normalize_punctuation_once(text, mostly_han)
        if converted == text or not _ASCII_MARKS.search(converted):
            return converted
        text = converted
    return text


def convert_parentheses(text: str) -> str:
    """ASCII parentheses of a Chinese aside to full width, in one linear pass.

    A pair (on one line) is converted when its content holds an ideograph,
    or when CJK text comes right before it (卡马克装置(EAST) is typeset
    （EAST）; f(x) after a Latin letter stays). Pairs are matched with a
    stack and decided outermost first, so an inner pair that opens right
    after a converted one follows it; unmatched parentheses stay.

    >>> convert_parentheses("(作者为中央党校(国家行政学院)研究员)，装置(EAST)与函数f(x)")
    '（作者为中央党校（国家行政学院）研究员），装置（EAST）与函数f(x)'
    >>> convert_parentheses("装置((EAST))，未闭合(的括号")
    '装置（（EAST）），未闭合(的括号'
    """
    if "(" not in text:
        return text
    # Pairs as flat integer arrays (open, close, open of the enclosing pair or -1):
    # a page of a hundred thousand nested pairs stays a few megabytes.
    starts, ends, parents = array("q"), array("q"), array("q")
    opens = array("q")
    for match in _PAREN.finditer(text):
        char, at = match.group(), match.start()
        if char == "\n":
            del opens[:]
        elif char == "(":
            opens.append(at)
        elif opens:
            starts.append(opens.pop())
            ends.append(at)
            parents.append(opens[-1] if opens else -1)
    if not starts:
        return text
    flips = _flat_flips(text, starts, ends) if max(parents) < 0 else _nested_flips(text, starts, ends, parents)
    if not flips:
        return text
    pieces, cursor = [], 0
    for at in sorted(flips):
        pieces.append(text[cursor:at])
        pieces.append("（" if text[at] == "(" else "）")
        cursor = at + 1
    pieces.append(text[cursor:])
    return "".join(pieces)


def _flat_flips(text: str, starts: array, ends: array) -> list[int]:
    """Positions to convert when no pair lies inside another (nearly every page): each content is looked at once."""
    flips: list[int] = []
    for start, end in zip(starts, ends):
        if HAN_CHAR.search(text, start + 1, end) is not None or (start and _CJK_CHAR.match(text, start - 1)):
            flips.extend((start, end))
    return flips


def _nested_flips(text: str, starts: array, ends: array, parents: array) -> list[int]:
    """Positions to convert when pairs nest: contents overlap, so Han characters are counted once, by prefix sums."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    han_before = np.concatenate([[0], np.cumsum(is_han(points), dtype=np.int32)])
    cjk_before = np.zeros(len(points), dtype=bool)
    cjk_before[1:] = _cjk_mask(points)[:-1]
    start_of = np.frombuffer(starts, dtype=np.int64)
    end_of = np.frombuffer(ends, dtype=np.int64)
    parent_of = np.frombuffer(parents, dtype=np.int64)
    converted = np.zeros(len(points), dtype=bool)
    decided = (han_before[end_of] > han_before[start_of + 1]) | cjk_before[start_of]
    converted[start_of[decided]] = True
    # A pair that opens right inside another follows it; outermost first
    # (a parent opens before its children), so the parent is settled.
    nested = np.flatnonzero(~decided & (parent_of >= 0) & (parent_of == start_of - 1))
    for k in nested[np.argsort(start_of[nested], kind="stable")].tolist():
        converted[start_of[k]] = converted[parent_of[k]]
    opened = np.flatnonzero(converted)
    return [*opened.tolist(), *end_of[np.isin(start_of, opened)].tolist()]


def _cjk_mask(points: np.ndarray) -> np.ndarray:
    """Which code points are CJK text (ideographs or CJK punctuation: `_CJK`)."""
    mask = is_han(points)
    for low, high in _CJK_PUNCT_RANGES:
        mask |= (points >= low) & (points <= high)
    return mask


def _normalize_punctuation_once(text: str, mostly_han: bool) -> str:
    text = convert_parentheses(text)
    text = _PUNCT_AFTER_CJK.sub(lambda m: _ASCII_TO_FULL[m.group(1)], text)
    text = _PUNCT_AFTER_CJK_SPACE.sub(lambda m: _ASCII_TO_FULL[m.group(1)], text)
    text = _PUNCT_BEFORE_HAN.sub(lambda m: _ASCII_TO_FULL[m.group(1)], text)
    text = _SENTENCE_MARK_AFTER_HAN.sub(lambda m: _ASCII_TO_FULL[m.group(1)], text)
    if mostly_han:
        text = _PUNCT_BETWEEN_NUMBERS.sub(lambda m: _number_separator(m, text), text)
    return text


def _mostly_han(text: str) -> bool:
    han = han_count(text)
    letters = han + len(_NON_HAN_LETTER.findall(text))
    return bool(letters) and han >= 0.5 * letters


def _number_separator(match: re.Match[str], text: str) -> str:
    mark = match.group(1)
    if mark == "," and text[match.start() - 1].isdigit() and _THOUSANDS_GROUP.match(text, match.end()):
        return mark
    return _ASCII_TO_FULL[mark]


def normalize_document(doc: Document, normalize_punctuation: bool) -> Document:
    """The ``normalize`` stage for one record: full-width punctuation between CJK characters.

    It runs after page dedup, on the page's text once instead of twice.
    """
    if doc.rejected or not normalize_punctuation:
        return doc
    title = normalize_cjk_punctuation(doc.title) if doc.title else doc.title
    return doc.replace(text=normalize_cjk_punctuation(doc.text), title=title)


def normalize_batch(docs: list[Document], config: Config) -> list[Document]:
    """The ``normalize`` stage over a batch."""
    return [normalize_document(d, config.normalize_punctuation) for d in docs]
