"""The ``strip`` and ``normalize`` stages: scraper artifacts out, paragraphs back.

`strip_document` removes what the scraper added to the page (page-jump
markers such as 下转第三版, ``|`` layout separators) and records each removal.
`normalize_document` shapes the article body once metadata lines are gone:
one paragraph per line and, optionally, full-width punctuation where the
scrape turned it into ASCII between CJK characters.
"""

from __future__ import annotations

import dataclasses
import re
from array import array

import numpy as np

from pipeline.config import Config
from pipeline.document import Document, Removal
from pipeline.patterns import (
    CJK_PUNCT,
    HAN,
    HAN_CHAR,
    Patterns,
    han_count,
    is_han,
    load_patterns,
)

STAGE_STRIP = "strip"
STAGE_NORMALIZE = "normalize"

_HSPACE = " \t\u3000\xa0"
_DIGITS = {ch: i for i, ch in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def parse_page_number(token: str) -> int | None:
    """A page number written in Arabic, full-width or Chinese numerals.

    >>> [parse_page_number(t) for t in ("3", "１２", "三", "十", "十二", "二十", "二十三", "一百零五")]
    [3, 12, 3, 10, 12, 20, 23, 105]
    """
    token = token.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if token.isdigit():
        return int(token)
    total, current = 0, 0
    for ch in token:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def _verb_and_page(match: re.Match[str]) -> tuple[str, str]:
    # Each bracket style has its own named groups (verb0, page0, ...); one of them
    # matched, and its page group, which comes after its verb, closed last.
    last = match.lastgroup or ""
    if last.startswith("page"):
        return match.group("verb" + last[len("page") :]), match.group(last)
    groups = match.groupdict()
    verb = next(v for k, v in groups.items() if k.startswith("verb") and v)
    page = next(v for k, v in groups.items() if k.startswith("page") and v)
    return verb, page


def _jump_matches(line: str, patterns: Patterns) -> list[re.Match[str]]:
    if not patterns.page_jump_unit.search(line):
        return []
    matches: list[re.Match[str]] = []
    # The leftmost-first matches of `page_jump.finditer`, tried only where a marker can start.
    end = 0
    for start in patterns.page_jump_start.finditer(line):
        if start.start() < end:
            continue
        match = patterns.page_jump.match(line, start.start())
        if match is None:
            continue
        end = match.end()
        verb, _ = _verb_and_page(match)
        bracketed = match.group(0)[0] not in verb
        # A one-character verb glued to a preceding ideograph is prose (直接2版), not a marker.
        if not bracketed and len(verb) == 1 and match.start() > 0 and HAN_CHAR.match(line[match.start() - 1]):
            continue
        matches.append(match)
    return matches


def _join_sides(left: str, right: str, patterns: Patterns) -> str:
    """What replaces a removed marker between ``left`` and ``right``."""
    if not left or not right:
        return ""
    sentence_ended = left.rstrip(patterns.closing_quotes)[-1:] in tuple(patterns.sentence_end)
    if sentence_ended:
        # The marker sat on a paragraph boundary: keep the space that marks it.
        return " "
    if left[-1].isascii() and right[0].isascii() and right[0].isalnum():
        return " "
    return ""


def _join(left: str, right: str, patterns: Patterns) -> str:
    return left + _join_sides(left, right, patterns) + right if left else right


def _remove_matches(line: str, matches: list[re.Match[str]], patterns: Patterns, removed: list) -> str:
    pieces, cursor = [], 0
    for match in matches:
        verb, page = _verb_and_page(match)
        removed.append((match.group(0), verb, parse_page_number(page)))
        pieces.append(line[cursor : match.start()])
        cursor = match.end()
    pieces.append(line[cursor:])
    kept = ""
    for index, piece in enumerate(pieces):
        # The line's own indentation survives; spaces around a marker do not.
        piece = piece.rstrip(_HSPACE) if index == 0 else piece.strip(_HSPACE)
        if piece.strip(_HSPACE):
            kept = _join(kept, piece, patterns)
    return kept


def strip_page_jumps(text: str, patterns: Patterns) -> tuple[str, list[tuple[str, str, int | None]]]:
    """Remove page-jump markers and join the text on both sides.

    Returns the text and the markers removed as (marker, verb, page).

    >>> from pipeline.patterns import load_patterns
    >>> p = load_patterns()
    >>> strip_page_jumps("治理格局, 下转第三版 上接第一版 深化重点领域", p)[0]
    '治理格局,深化重点领域'
    >>> strip_page_jumps("治理格局，（下转第二版）\\n（紧接第一版）\\n深化重点", p)[0]
    '治理格局，深化重点'
    >>> strip_page_jumps("直接2版的内容不是标记。", p)[0]
    '直接2版的内容不是标记。'
    """
    removed: list[tuple[str, str, int | None]] = []
    out: list[str] = []
    join_next = False
    for line in text.split("\n"):
        matches = _jump_matches(line, patterns)
        if matches:
            line = _remove_matches(line, matches, patterns, removed)
            if not line:
                # A marker-only line inside a sentence: the sentence goes on after it.
                previous = out[-1].rstrip(_HSPACE) if out else ""
                join_next = join_next or _sentence_goes_on(previous, patterns)
                continue
        if join_next and line.strip() and not patterns.is_separator_line(line):
            out[-1] = _join(out[-1].rstrip(_HSPACE), line.lstrip(_HSPACE), patterns)
        else:
            out.append(line)
        join_next = False
    return "\n".join(out), removed


# Punctuation that leaves a sentence open.
_OPEN_SENTENCE = tuple("，、；：,;:—-")
# A line at least this long that does not end a sentence is body text cut mid-sentence.
_PROSE_CHARS = 40


def _sentence_goes_on(previous: str, patterns: Patterns) -> bool:
    """Whether the text before a marker-only line breaks off mid-sentence (and goes on after the marker).

    A header line above a marker (a byline, a title) does not: it is short and
    does not end in a comma.

    >>> from pipeline.patterns import load_patterns
    >>> [_sentence_goes_on(t, load_patterns()) for t in ("治理格局，", "本报记者 郭婷 贾文", "北京市委政法委发挥统筹协调作用。")]
    [True, False, False]
    """
    if not previous or patterns.is_separator_line(previous) or previous[-1] in patterns.sentence_end:
        return False
    return previous.endswith(_OPEN_SENTENCE) or len(previous) >= _PROSE_CHARS


def _ends_in_separator(line: str, patterns: Patterns) -> bool:
    return line.rstrip()[-1:] in patterns.separator_chars if line else False


def strip_separators(text: str, patterns: Patterns) -> tuple[str, int]:
    """Drop separator lines and trailing separators; return the text and lines dropped.

    >>> from pipeline.patterns import load_patterns
    >>> strip_separators("|\\n要闻\\n|\\n( 2021-12-13 ) 稿件来源: 法治日报要闻 |\\n|", load_patterns())
    ('要闻\\n( 2021-12-13 ) 稿件来源: 法治日报要闻', 3)
    """
    kept, dropped = [], 0
    for line in text.split("\n"):
        if patterns.is_separator_line(line):
            dropped += 1
            continue
        kept.append(patterns.strip_trailing_separators(line) if _ends_in_separator(line, patterns) else line)
    return "\n".join(kept), dropped


def strip_document(doc: Document, patterns: Patterns) -> Document:
    """The ``strip`` stage for one record."""
    if doc.rejected:
        return doc
    text, markers = strip_page_jumps(doc.text, patterns)
    text, separators = strip_separators(text, patterns)
    forward = sorted({p for _, verb, p in markers if p is not None and verb in patterns.forward_verbs})
    backward = sorted({p for _, verb, p in markers if p is not None and verb not in patterns.forward_verbs})
    removals = tuple(Removal(STAGE_STRIP, "page_jump", marker) for marker, _, _ in markers)
    removals += tuple(Removal(STAGE_STRIP, "separator_line", "|") for _ in range(separators))
    return dataclasses.replace(
        doc,
        text=text,
        pages=tuple(sorted(set(doc.pages) | set(forward))),
        continued_from=tuple(sorted(set(doc.continued_from) | set(backward))),
        removals=doc.removals + removals,
    )


def restore_paragraphs(text: str, patterns: Patterns) -> str:
    """One paragraph per line: split where a space follows sentence-final punctuation.

    >>> from pipeline.patterns import load_patterns
    >>> restore_paragraphs("创新举措。 近年来，北京市委“发挥作用。” 将全市", load_patterns())
    '创新举措。\\n近年来，北京市委“发挥作用。”\\n将全市'
    >>> restore_paragraphs("It works. Really.", load_patterns())
    'It works. Really.'
    """
    return patterns.paragraph_break.sub(lambda m: m.group(1) + "\n", text)


def tidy_paragraphs(text: str) -> str:
    """Trim each paragraph (indentation included) and drop empty ones.

    >>> tidy_paragraphs("\\u3000\\u3000第一段。\\r\\n\\n  第二段。 ")
    '第一段。\\n第二段。'
    """
    lines = (line.strip(_HSPACE + "\r\n") for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


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
_CJK_PUNCT_RANGES = tuple((ord(m.group(1)), ord(m.group(2) or m.group(1))) for m in re.finditer(r"(.)(?:-(.))?", CJK_PUNCT))
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


def paragraphs_document(doc: Document, patterns: Patterns) -> Document:
    """The ``paragraphs`` stage for one record: one trimmed paragraph per line."""
    if doc.rejected:
        return doc
    return dataclasses.replace(doc, text=tidy_paragraphs(restore_paragraphs(doc.text, patterns)))


def normalize_document(doc: Document, normalize_punctuation: bool) -> Document:
    """The ``normalize`` stage for one record: full-width punctuation between CJK characters.

    It runs after page dedup, on the page's text once instead of twice.
    """
    if doc.rejected or not normalize_punctuation:
        return doc
    title = normalize_cjk_punctuation(doc.title) if doc.title else doc.title
    return dataclasses.replace(doc, text=normalize_cjk_punctuation(doc.text), title=title)


def strip_batch(docs: list[Document], config: Config) -> list[Document]:
    """The ``strip`` stage over a batch."""
    patterns = config.patterns
    return [strip_document(d, patterns) for d in docs]


def paragraphs_batch(docs: list[Document], config: Config) -> list[Document]:
    """The ``paragraphs`` stage over a batch."""
    patterns = config.patterns
    return [paragraphs_document(d, patterns) for d in docs]


def normalize_batch(docs: list[Document], config: Config) -> list[Document]:
    """The ``normalize`` stage over a batch."""
    return [normalize_document(d, config.normalize_punctuation) for d in docs]
