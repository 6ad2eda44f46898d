"""The ``strip`` and ``paragraphs`` stages: scraper artifacts out, paragraphs back.

`strip_document` removes what the scraper added to the page (page-jump
markers such as 下转第三版, ``|`` layout separators) and records each removal.
`paragraphs_document` puts one paragraph on each line. Punctuation is the
``normalize`` stage's (`pipeline.clean.punctuation`).
"""

from __future__ import annotations

import re

from pipeline.clean.reflow import reflow
from pipeline.core.config import Config
from pipeline.core.document import FLAG_REFLOWED, Document, Removal
from pipeline.core.patterns import (
    HAN_CHAR,
    Patterns,
)

STAGE_STRIP = "strip"

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

    >>> from pipeline.core.patterns import load_patterns
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

    >>> from pipeline.core.patterns import load_patterns
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

    >>> from pipeline.core.patterns import load_patterns
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


def strip_page_numbers(text: str, patterns: Patterns) -> tuple[str, list[str]]:
    """Drop lines that are only a page number (- 8 -, 第1页); return the text and the lines dropped.

    >>> from pipeline.core.patterns import load_patterns
    >>> strip_page_numbers("正文在这里断开，\\n- 8 -\\n接着往下。\\n共3页", load_patterns())
    ('正文在这里断开，\\n接着往下。\\n共3页', ['- 8 -'])
    """
    if patterns.page_number is None:
        return text, []
    kept, dropped = [], []
    for line in text.split("\n"):
        stripped = line.strip()
        if len(stripped) <= 24 and stripped and patterns.page_number.fullmatch(stripped):
            dropped.append(stripped)
        else:
            kept.append(line)
    return ("\n".join(kept), dropped) if dropped else (text, dropped)


def strip_document(doc: Document, patterns: Patterns) -> Document:
    """The ``strip`` stage for one record."""
    if doc.rejected:
        return doc
    text, markers = strip_page_jumps(doc.text, patterns)
    text, separators = strip_separators(text, patterns)
    text, numbers = strip_page_numbers(text, patterns)
    forward = sorted({p for _, verb, p in markers if p is not None and verb in patterns.forward_verbs})
    backward = sorted({p for _, verb, p in markers if p is not None and verb not in patterns.forward_verbs})
    removals = tuple(Removal(STAGE_STRIP, "page_jump", marker) for marker, _, _ in markers)
    removals += tuple(Removal(STAGE_STRIP, "separator_line", "|") for _ in range(separators))
    removals += tuple(Removal(STAGE_STRIP, "page_number", line) for line in numbers)
    return doc.replace(
        text=text,
        pages=tuple(sorted(set(doc.pages) | set(forward))),
        continued_from=tuple(sorted(set(doc.continued_from) | set(backward))),
        removals=doc.removals + removals,
    )


def restore_paragraphs(text: str, patterns: Patterns) -> str:
    """One paragraph per line: split where a space follows sentence-final punctuation.

    >>> from pipeline.core.patterns import load_patterns
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


def paragraphs_document(doc: Document, patterns: Patterns) -> Document:
    """The ``paragraphs`` stage for one record: one trimmed paragraph per line (hard-wrapped lines joined first)."""
    if doc.rejected:
        return doc
    text, joined = reflow(doc.text)
    doc = doc.replace(text=tidy_paragraphs(restore_paragraphs(text, patterns)))
    return doc.with_flag(FLAG_REFLOWED) if joined else doc


def strip_batch(docs: list[Document], config: Config) -> list[Document]:
    """The ``strip`` stage over a batch."""
    patterns = config.patterns
    return [strip_document(d, patterns) for d in docs]


def paragraphs_batch(docs: list[Document], config: Config) -> list[Document]:
    """The ``paragraphs`` stage over a batch."""
    patterns = config.patterns
    return [paragraphs_document(d, patterns) for d in docs]
