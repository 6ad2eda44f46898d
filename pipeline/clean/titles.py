"""Which header line is the headline, and what the header's other headline-like lines are: the ``extract`` stage's titles.

`find_title` picks the headline among a page's header lines (`pipeline.clean.page_zones`
has found the zones); `drop_around_title` moves the kicker above it and the
subtitle below it out of the text; `title_like`, `said` and `dated_headline` are
the small tests they share with the rest of the stage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipeline.clean.boilerplate import is_prose
from pipeline.clean.fields import MAX_METADATA_LINE_CHARS, section_like
from pipeline.core.dates import find_dates
from pipeline.core.line_shapes import EDGE, TRAIL, is_wire_dateline
from pipeline.core.nfkc import nfkc
from pipeline.core.patterns import Patterns

if TYPE_CHECKING:
    from pipeline.clean.page_zones import Page

__all__ = ["DASH_LINE", "dated_headline", "drop_around_title", "find_title", "said", "title_like"]

_WORD = re.compile(r"\w")
# Headlines may end in a colon, question or exclamation mark (朱寄云：, 我们该怎么预防？),
# never in a full stop, comma or semicolon.
_TITLE_ENDINGS = tuple("。；，,;.")
DASH_LINE = re.compile(r"^\s*(?:——|—|--|－－)")
# Letters after its glued date that make a line a headline rather than a dateline (2020年1月21日星期二).
MIN_DATED_HEADLINE_LETTERS = 6
_BARS = re.compile(r"[|｜丨]")
MENU_ITEMS = 4
MAX_MENU_ITEM_CHARS = 8


def title_like(line: str, patterns: Patterns, *, in_title_position: bool) -> bool:
    """Short, and not ending like a body sentence.

    In the e-edition's title position (above the metadata line) 开训！ and
    怎么预防？ are headlines; as the first line of a plain text, a line ending
    in ！ or ？ is more likely a salutation or a question that opens the body.
    """
    text = line.strip()
    endings = _TITLE_ENDINGS if in_title_position else _TITLE_ENDINGS + tuple(patterns.sentence_end)
    return 0 < len(text) <= patterns.title_max_chars and not text.endswith(endings) and _WORD.search(text) is not None


def find_title(page: Page, header_end: int, learned: list[int], sources: Sequence[str] = ()) -> int | None:
    """Which header line is the headline.

    The line a ——subtitle follows; else the last title-like line before the
    header's first metadata (a date, source or byline; furniture the corpus
    taught where none follows) that says at least half as much as the longest of them: a
    poster's name, a byline or a price line is no headline; else a short
    first line followed by more text (a plain page). A line that only
    names the page's ``sources`` (an account over its dateline) is none either.
    """
    lines, kind, patterns = page.lines, page.kind, page.patterns
    # Right above the header's metadata is the title position, where 怎么预防？ is a headline too.
    candidates = [
        i
        for i in range(header_end)
        if i not in kind
        and not DASH_LINE.match(lines[i])
        and title_like(lines[i], patterns, in_title_position=kind.get(i + 1) in ("metadata_line", "byline"))
        and (not _dateline_like(lines[i], patterns) or dated_headline(page, i))
        and not TRAIL.fullmatch(lines[i].strip())
        and not is_wire_dateline(lines[i])
        and not menu_row(lines[i])
    ]
    candidates = [i for i in candidates if not names_source(lines[i], sources)] or candidates
    # Lines the corpus taught are furniture are headlines only when nothing else is, and a section
    # label (要闻) is nothing else: a headline every page of a site repeats is a headline still.
    fresh = [i for i in candidates if i not in learned and not page.is_learned(i, 0)]

    def label_like(i: int) -> bool:
        # Right above the dateline or byline, a short line is the headline (藏族姑娘索朗曲珍), not a label.
        return section_like(lines[i], patterns) and kind.get(i + 1) not in ("metadata_line", "byline")

    if all(label_like(i) for i in fresh):
        fresh = [i for i in candidates if not label_like(i)] or fresh
    candidates = fresh or candidates
    if not candidates:
        return None
    for i in candidates:
        below = next((j for j in range(i + 1, header_end) if j not in kind), None)
        if below is not None and DASH_LINE.match(lines[below]):
            return i
    # The header's first metadata marks the title position; learned furniture does only where no metadata
    # follows the candidates (a masthead stands above a learned menu, its headline below it).
    markers = [i for i in range(candidates[0] + 1, header_end) if kind.get(i) in ("metadata_line", "byline")] or [
        i for i in range(candidates[0] + 1, header_end) if i in learned
    ]
    before = [i for i in candidates if not markers or i < markers[0]]
    if markers or header_end < len(lines):
        # A kicker stands above its headline, and may be the longer of the two;
        # a poster's name, a byline or a price line says much less than either.
        most = max(_letters(lines[i]) for i in before)
        return max(i for i in before if _letters(lines[i]) * 2 >= most)
    first = candidates[0]
    opening = next(i for i in range(len(lines)) if i not in kind and not page.is_learned(i, 0))
    return first if first + 1 < len(lines) and first == opening else None


def menu_row(line: str) -> bool:
    """A site's menu: four or more short items between bars, never a headline (a headline may hold one bar).

    >>> menu_row("新聞 | 政治 | 社會 | 國際 | 大陸"), menu_row("独家 | 稳就业的几点观察")
    (True, False)
    """
    if "|" not in line and "｜" not in line and "丨" not in line:
        return False
    items = [item.strip() for item in _BARS.split(line) if item.strip()]
    return len(items) >= MENU_ITEMS and all(len(item) <= MAX_MENU_ITEM_CHARS for item in items)


def names_source(line: str, sources: Sequence[str]) -> bool:
    """A line that only names one of the page's sources: its masthead, or the account that posted it.

    >>> names_source("新京报评论", ["新京报评论官方账号"]), names_source("澎湃新闻", ["澎湃新闻客户端"])
    (True, True)
    >>> names_source("新京报评论：稳就业要久久为功", ["新京报评论"])
    False
    """
    text = nfkc(line).strip(EDGE)
    return len(text) >= 2 and any(
        text in source or (source in text and len(text) - len(source) <= 2) for source in sources
    )


def _letters(line: str) -> int:
    """Letters and ideographs, a measure of how much a line says (digits, prices and codes say little).

    >>> _letters("中信证券 600030 1711.97 -5.41%"), _letters("央行：下调存款准备金率")
    (4, 10)
    """
    return sum(1 for ch in line if ch.isalpha())


def _runs_on_from(line: str, date: str) -> bool:
    """Whether ``line`` opens with ``date`` and its text runs on from it, letter to letter.

    >>> _runs_on_from("2020年1月21日外交部发言人华春莹主持例行记者会", "2020年1月21日")
    True
    >>> _runs_on_from("2020年07月13日 13:52 21世纪经济报道", "2020年07月13日"), _runs_on_from("佐藤花子2020年1月10日", "2020年1月10日")
    (False, False)
    >>> _runs_on_from("2019年10月21日，本报读者来信版刊发报道", "2019年10月21日")
    False
    """
    text = nfkc(line).strip()
    return text.startswith(date) and date[-1:].isalnum() and text[len(date) : len(date) + 1].isalnum()


def _dateline_like(line: str, patterns: Patterns) -> bool:
    """A header line that dates the page or opens with a label (发布时间：…, 来源：…) is no headline, explained or not."""
    label = patterns.vocabulary.label_piece
    return bool(find_dates(line)) or (label is not None and label.match(line) is not None)


def dated_headline(page: Page, i: int) -> bool:
    """Line ``i`` is a headline that opens with its date, right above the page's own dateline.

    A ministry titles its briefings so (2020年1月21日外交部发言人华春莹主持例行记者会, then
    （2020-01-21 19:06））. Without a dateline right below, a date glued to a name is the
    dateline itself (2020年1月5日中华人民共和国外交部), and a date with a time always is.
    """
    line = page.lines[i]
    below = page.lines[i + 1] if i + 1 < len(page.lines) else ""
    if not find_dates(below) or len(below) > MAX_METADATA_LINE_CHARS:
        return False
    pieces = page.patterns.vocabulary.pieces(line)
    return (
        [piece.kind for piece in pieces] == ["date", "unknown"]
        and ":" not in pieces[0].value
        and _runs_on_from(line, pieces[0].value)
        and _letters(pieces[1].value) >= MIN_DATED_HEADLINE_LETTERS
    )


def drop_around_title(page: Page, header_end: int, learned: list[int]) -> None:
    """The header's other headline-like lines are headline matter, not body: a kicker, a subtitle, a byline, a poster's name.

    Above the title, and below it down to the header's first metadata (a
    dateline, a byline, learned furniture): what follows that may open the
    body (会议强调：, a quote that ends in ……”). Lines that read like a
    sentence stay.
    """
    lines, kind = page.lines, page.kind
    at = next((i for i in range(header_end) if kind.get(i) == "title"), None)
    if at is None:
        return
    marker = next(
        (i for i in range(at + 1, header_end) if kind.get(i) in ("metadata_line", "byline") or i in learned), at
    )
    for i in range(marker):
        if i in kind or is_prose(lines[i]):
            continue
        if i > at and DASH_LINE.match(lines[i]):
            kind[i] = "subtitle"
        elif i > at and (said(lines[i]) or is_wire_dateline(lines[i])):
            continue  # a pull quote, a lead or a wire dateline under the title: the article's first words
        elif TRAIL.fullmatch(lines[i].strip()):
            kind[i] = "boilerplate"  # the site's trail to the page, no kicker
        elif title_like(lines[i], page.patterns, in_title_position=False):
            kind[i] = "kicker" if i < at else "subtitle"
    below = next((i for i in range(at + 1, header_end) if i not in kind), None)
    if below is not None and DASH_LINE.match(lines[below]) and not is_prose(lines[below]):
        kind[below] = "subtitle"
    # Further down, a line with header furniture right above and below it is furniture too (BBC News, Singapore).
    furniture = lambda j: kind.get(j) in ("metadata_line", "byline", "boilerplate", "header_line") or j in learned  # noqa: E731
    for i in range(marker + 1, header_end - 1):
        if (
            i not in kind
            and furniture(i - 1)
            and furniture(i + 1)
            and title_like(lines[i], page.patterns, in_title_position=False)
        ):
            kind[i] = "header_line"


def said(line: str) -> bool:
    """A line that is said rather than headlined: a quotation, or a sentence ending in 。！？.

    >>> said("“让每个孩子都有出彩的机会”"), said("全国已有十八个省份出台方案。"), said("全国已有十八个省份出台方案")
    (True, True, False)
    """
    text = line.strip()
    if len(text) >= 4 and text[0] in '“「『"' and text[-1] in '”」』"':
        return True
    return text.rstrip("”’」』\"')）").endswith(("。", "！", "？", "!", "?"))
