"""Hard-wrapped text back into paragraphs (part of the ``paragraphs`` stage).

Text copied out of a PDF or a print layout breaks every line at a fixed width:
``近十几年来，我们集中力量办大事，`` / ``持续大规模推动铁路建设，使国家``. Every
other stage reads a line as a paragraph, so such a page would be all short
lines: no prose, a header zone that runs into the body, a headline picked
from a fragment. `reflow` joins the lines of a paragraph again.

A page is hard-wrapped when most of its lines of some length end at the same
display width (CJK characters count two columns): ragged lines of scraped web
text never do. Then a line that reaches that width continues on the next
line, unless the next line is indented (the page marks its paragraphs so) or,
on a page without indents, the line ends a sentence. Nothing is dropped; the
document is flagged ``hard_wraps_joined``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Callable

# Lines shorter than this (in columns) are headings, bylines or a paragraph's
# last line: they do not tell the wrap width.
MIN_WRAP_COLUMNS = 16
MAX_WRAP_COLUMNS = 160
# A page is wrapped when at least this many lines, and this share of its lines
# of MIN_WRAP_COLUMNS or more, end within WRAP_SLACK columns of one width.
MIN_WRAPPED_LINES = 4
MIN_WRAPPED_SHARE = 0.6
# A wide character or a closing mark may not fit, or may hang, at the margin.
WRAP_SLACK = 2
# The CJK, kana, hangul and full-width blocks of Unicode's East Asian Width
# table (emoji and rarer wide symbols count one column: no print page wraps on
# them); one regex pass is far faster than asking unicodedata per character.
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]"
)
_INDENTS = (" ", "\u3000", "\t", "\xa0")
_SENTENCE_END = tuple("。！？!?.”’」』")
# Pieces set apart by an ideographic space or a run of spaces make a header,
# dateline or byline (``8　社会　2020年11月23日 星期一``), never a wrapped line of prose.
# (Written as a lookahead: ``(?:\u3000|\s{2,})+`` split a run of wide spaces every
# possible way, 0.7 s for 24 of them with no letter after.)
_PIECES = re.compile(r"\S(?=\s*\u3000|\s{2})\s+\S")


def columns(line: str) -> int:
    """Display width: two columns for wide (CJK, full-width) characters.

    >>> columns("近十几年来，"), columns("GDP 6.1%")
    (12, 8)
    """
    return len(line) + len(_WIDE.findall(line))


def _width(line: str) -> int:
    # No print layout wraps wider than this: a longer line is a paragraph of
    # its own, and its exact width (slow to count) does not matter.
    if len(line) > MAX_WRAP_COLUMNS:
        return 2 * len(line)
    return columns(line)


def wrap_width(lines: list[str]) -> tuple[int, Callable[[str], int]] | None:
    """The width a page was wrapped at and how it is measured, or None when the page was not hard-wrapped.

    Print layouts wrap at a display width (a digit takes half a column of an
    ideograph); some converters wrap at a count of characters. Whichever
    measure puts more lines at one width is the page's.

    >>> wrap_width(["近十几年来，我们集中力量办大事，"] * 9 + ["短行"])[0]
    32
    >>> wrap_width(["北京市委政法委发挥统筹协调作用。", "成立由28家单位组成的试点工作协调指导组，组织各区同步部署开展试点工作。"] * 5) is None
    True
    """
    best: tuple[int, int, Callable[[str], int]] | None = None
    for measure, slack in ((_width, WRAP_SLACK), (len, WRAP_SLACK // 2)):
        found = _mode_width(
            [measure(line.rstrip()) for line in lines],
            MIN_WRAP_COLUMNS if measure is _width else MIN_WRAP_COLUMNS // 2,
            slack,
        )
        if found is not None and (best is None or found[1] > best[1]):
            best = (*found, measure)
    return None if best is None else (best[0], best[2])


def _mode_width(widths: list[int], shortest: int, slack: int) -> tuple[int, int] | None:
    long = [w for w in widths if w >= shortest]
    if len(long) < MIN_WRAPPED_LINES:
        return None
    # Only widths a print layout can have are candidates (few distinct values,
    # so the search stays linear in the page).
    counts = Counter(w for w in long if w <= MAX_WRAP_COLUMNS)
    best, full = 0, 0
    for width in counts:
        # Widths are whole columns: the lines near a width are those of the slack + 1 widths up to it
        # (summing over every distinct width, for each, was quadratic and a twentieth of the stage).
        near = sum(counts.get(w, 0) for w in range(width - slack, width + 1))
        if near > full or (near == full and width > best):
            best, full = width, near
    if full < MIN_WRAPPED_LINES or full < MIN_WRAPPED_SHARE * len(long):
        return None
    return best, full


def reflow(text: str) -> tuple[str, int]:
    """``text`` with the lines of each wrapped paragraph joined; and how many line breaks went.

    >>> page = "标题\\n" + "\\n".join(["　　近十几年来，我们集中力量办", "大事，持续大规模推动铁路建设。"] * 5)
    >>> text, joined = reflow(page)
    >>> joined, text.split("\\n")[1]
    (5, '　　近十几年来，我们集中力量办大事，持续大规模推动铁路建设。')
    """
    lines = text.split("\n")
    wrapped = wrap_width(lines)
    if wrapped is None:
        return text, 0
    width, measure = wrapped
    slack = WRAP_SLACK if measure is _width else WRAP_SLACK // 2
    indented = sum(1 for line in lines if line.startswith(_INDENTS) and line.strip()) >= 2

    def full(line: str) -> bool:
        # Longer than the width is no wrapped line (a header printed across columns).
        return width - slack <= measure(line.rstrip()) <= width + 1

    # A CJK page has no space at a break, even between two digits (20|07年).
    short = [line for line in lines if len(line) <= MAX_WRAP_COLUMNS]
    spaced = sum(map(columns, short)) < 1.5 * sum(map(len, short))
    out: list[str] = []
    sources: list[list[str]] = []
    carry = False
    for line in lines:
        stripped = line.strip()
        # What continues a paragraph is more of it: a full line, or its last line, which ends a sentence.
        # (Never longer than the width: a wrapped paragraph has no line that is.)
        goes_on = (
            stripped
            and measure(line.rstrip()) <= width + 1
            and (full(line) or stripped.endswith(_SENTENCE_END))
            and not _PIECES.search(stripped)
        )
        if carry and goes_on and not (indented and line.startswith(_INDENTS)):
            out[-1] = _join(out[-1], stripped, spaced)
            sources[-1].append(line)
        else:
            out.append(line)
            sources.append([line])
        carry = (
            full(line) and not _PIECES.search(stripped) and (indented or not out[-1].rstrip().endswith(_SENTENCE_END))
        )
    # A paragraph ends a sentence. Joined lines that do not (a list of headlines
    # cut to one length, a paragraph cut by a page break) go back as they were.
    kept: list[str] = []
    joined = 0
    for paragraph, parts in zip(out, sources):
        if len(parts) > 1 and paragraph.rstrip().endswith(_SENTENCE_END):
            kept.append(paragraph)
            joined += len(parts) - 1
        else:
            kept.extend(parts)
    return "\n".join(kept), joined


def _join(left: str, right: str, spaced: bool) -> str:
    left = left.rstrip()
    # Words of Latin text had a space at the break; CJK text and a hyphenated word did not.
    if not spaced or left.endswith("-") or columns(left[-1:]) == 2 or columns(right[:1]) == 2:
        return left + right
    return left + " " + right
