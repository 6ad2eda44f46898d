"""A page as the ``extract`` stage sees it: its lines, their header and footer zones, and the title among them.

`Page` finds where the body starts and ends (`Page.zones`); the functions
below decide what in each zone is furniture or metadata (`clean_zone`), which
metadata line closes an e-edition block (`closing_metadata`), and which line
is the title (`find_title`). `pipeline.clean.metadata` runs them in order.
"""

from __future__ import annotations

import re

from pipeline.clean.boilerplate import is_learned, is_prose
from pipeline.clean.fields import (
    MAX_METADATA_LINE_CHARS,
    Found,
    section_like,
)
from pipeline.core.dates import find_dates
from pipeline.core.line_shapes import TRAIL, WIRE_DATELINE
from pipeline.core.nfkc import nfkc
from pipeline.core.patterns import Patterns
from pipeline.core.vocabulary import Piece

__all__ = [
    "DASH_LINE",
    "Page",
    "clean_zone",
    "closing_metadata",
    "drop_around_title",
    "find_title",
    "said",
    "title_like",
]

# The most lines a header or a footer zone holds: a page with no prose at all
# (a list, a poem) is not all header.
MAX_ZONE_LINES = 60
_WORD = re.compile(r"\w")
# Headlines may end in a colon, question or exclamation mark (朱寄云：, 我们该怎么预防？),
# never in a full stop, comma or semicolon.
_TITLE_ENDINGS = tuple("。；，,;.")
# A source name: a few words or ideographs, no sentence in it.
_SOURCE_LIKE = re.compile(r"(?=(?:\d*[^\W\d_]){2})[\w·&.\-]{2,16}(?: [\w·&.\-]+){0,3}")
DASH_LINE = re.compile(r"^\s*(?:——|—|--|－－)")
# Letters after its glued date that make a line a headline rather than a dateline (2020年1月21日星期二).
MIN_DATED_HEADLINE_LETTERS = 6
# Around a related-links or comments marker: 【相关阅读】, ■ 最热评论：
_MARKER_EDGE = " :：·•●■□【】[]"
# A notice's signature block under its closing formula: the issuer (one or two lines), then the date.
SIGNATURE_LINES = 3
MAX_SIGNATURE_CHARS = 40


def title_like(line: str, patterns: Patterns, *, in_title_position: bool) -> bool:
    """Short, and not ending like a body sentence.

    In the e-edition's title position (above the metadata line) 开训！ and
    怎么预防？ are headlines; as the first line of a plain text, a line ending
    in ！ or ？ is more likely a salutation or a question that opens the body.
    """
    text = line.strip()
    endings = _TITLE_ENDINGS if in_title_position else _TITLE_ENDINGS + tuple(patterns.sentence_end)
    return 0 < len(text) <= patterns.title_max_chars and not text.endswith(endings) and _WORD.search(text) is not None


class Page:
    """One page's lines, with what each one was found to be (``kind``) and how each is explained."""

    def __init__(
        self,
        lines: list[str],
        patterns: Patterns,
        learned: tuple[frozenset[int], ...],
        known: dict[str, int] | None = None,
    ) -> None:
        self.lines, self.patterns, self.learned, self.known = lines, patterns, learned, known
        self.kind: dict[int, str] = {}
        self.credited: list[str] = []
        self._explained: dict[int, list[Piece] | None] = {}

    def explained(self, i: int) -> list[Piece] | None:
        if i not in self._explained:
            self._explained[i] = self.patterns.vocabulary.explain(self.lines[i])
        return self._explained[i]

    def is_learned(self, i: int, edge: int) -> bool:
        """Whether line ``i`` is learned furniture at this edge (0 top, 1 bottom): its template, or one inside a block of furniture.

        A line of the article that looks like furniture (a credit, an affiliation) never is.
        """
        if not any(self.learned[edge::2]):
            return False
        in_block = self.learned[2 + edge]
        learned = is_learned(self.lines[i], self.learned[edge], footer=edge == 1, known=self.known) or (
            bool(in_block)
            and is_learned(self.lines[i], in_block, footer=edge == 1, known=self.known)
            and self._framed(i, edge)
        )
        return learned and not self.patterns.vocabulary.is_article_line(self.lines[i])

    def _framed(self, i: int, edge: int) -> bool:
        """Furniture stands right around line ``i``: toward the body, and toward the page's edge unless it is the page's last line there."""
        inward, outward = (i + 1, i - 1) if edge == 0 else (i - 1, i + 1)
        return self._furniture(inward, edge) and (not 0 <= outward < len(self.lines) or self._furniture(outward, edge))

    def _furniture(self, j: int, edge: int) -> bool:
        if not 0 <= j < len(self.lines):
            return False
        return (
            self.kind.get(j) in ("metadata_line", "byline")
            or self.explained(j) is not None
            or is_learned(self.lines[j], self.learned[edge], footer=edge == 1, known=self.known)
        )

    def is_body(self, i: int, edge: int) -> bool:
        return (
            i not in self.kind
            and is_prose(self.lines[i])
            and self.explained(i) is None
            and not self.is_learned(i, edge)
        )

    def zones(self) -> tuple[int, int]:
        """(end of the header zone, start of the footer zone); each zone at most ``MAX_ZONE_LINES`` long."""
        n = len(self.lines)
        header_end = next((i for i in range(min(n, MAX_ZONE_LINES)) if self.is_body(i, 0)), min(n, MAX_ZONE_LINES))
        last = max(header_end, n - MAX_ZONE_LINES)
        footer_start = next((i + 1 for i in range(n - 1, last - 1, -1) if self.is_body(i, 1)), last)
        return header_end, self._footer_from_marker(header_end, footer_start)

    def _footer_from_marker(self, header_end: int, footer_start: int) -> int:
        """Where the footer starts when readers' comments or related stories below it read like prose.

        A comments or recommendations marker (最热评论, 大家都在看) right under the short
        lines that close an article (责任编辑：…, 举报 / 反馈) starts the footer at those
        lines: the prose after the marker is other people's. (延伸阅读 and 相关阅读 may head a
        box of the article's own, and mark the footer only where it starts by itself.)
        """
        markers = self.patterns.vocabulary.after_article_markers
        for i in range(header_end + 1, footer_start):
            if self.lines[i].strip(_MARKER_EDGE).casefold() in markers and not is_prose(self.lines[i - 1]):
                start = i - 1
                while start - 1 >= header_end and not is_prose(self.lines[start - 1]):
                    start -= 1
                return start
        return footer_start


def clean_zone(page: Page, zone: range, edge: int, found: Found) -> list[int]:
    """Explained lines of one zone leave the text, and learned ones of the footer; after a related-links marker, the rest of the footer does.

    Returns the header's learned lines, which go once the title is chosen.
    """
    lines, kind = page.lines, page.kind
    furniture_seen = False
    learned: list[int] = []
    # Several lines of a bare date under a body are a timeline of the article (2003年10月15日 / 杨利伟驾乘…), not its dateline.
    timeline = edge == 1 and sum(1 for i in zone if i not in kind and _bare_date(page.explained(i))) >= 2
    signing = 0  # lines left of a notice's signature block
    for i in zone:
        if i in kind:
            continue
        pieces = page.explained(i)
        folded = lines[i].strip(_MARKER_EDGE).casefold()
        if timeline and _bare_date(pieces):
            continue
        if signing and len(lines[i]) <= MAX_SIGNATURE_CHARS and (pieces is None or _bare_date(pieces)):
            # Who signs a notice and when, under its closing formula (特此通知。): the notice's own lines.
            found.dates.extend(find_dates(lines[i]) if pieces else [])
            signing = 0 if pieces else signing - 1
            continue
        signing = SIGNATURE_LINES if edge == 1 and page.patterns.vocabulary.closes_document(lines[i]) else 0
        if edge == 1 and (folded in page.patterns.vocabulary.cut_markers or kind.get(i - 1) == "related"):
            kind[i] = "related"
        elif edge == 1 and _closing_credit(lines[i], pieces):
            # The article's own credit closes it (（本报记者 王明）, （新华社北京2月28日电）): it stays in the
            # text, and its names are the authors when no byline names them.
            credited = Found()
            credited.harvest(pieces or [], page.patterns)
            page.credited.extend(credited.authors)
        elif pieces is not None:
            kind[i] = "metadata_line" if found.harvest(pieces, page.patterns) else "boilerplate"
        elif (dateline := _mostly_metadata(page, i)) is not None:
            # A dateline with one piece nobody listed (字体：【大 中 小】 on a new site) is a dateline still.
            found.harvest(dateline, page.patterns)
            kind[i] = "metadata_line"
        elif page.is_learned(i, edge):
            if edge == 1:
                kind[i] = "learned"
            else:
                learned.append(i)
                found.dates.extend(find_dates(lines[i]) if len(lines[i]) <= MAX_METADATA_LINE_CHARS else [])
        elif (
            edge == 1
            and furniture_seen
            and not is_prose(lines[i])
            and not page.patterns.vocabulary.is_article_line(lines[i])
        ):
            # Page furniture comes in one block: what follows it is furniture too (a credit of the article aside).
            kind[i] = "boilerplate"
        elif edge == 0:
            # Dates of a header line that is not all furniture still date the page.
            found.dates.extend(find_dates(lines[i]) if len(lines[i]) <= MAX_METADATA_LINE_CHARS else [])
        furniture_seen = furniture_seen or kind.get(i) in ("boilerplate", "learned", "metadata_line")
    return learned


def _bare_date(pieces: list[Piece] | None) -> bool:
    """A line that is a date and nothing else (a time of day aside)."""
    return (
        bool(pieces)
        and all(piece.kind in ("date", "time") for piece in pieces)
        and any(piece.kind == "date" for piece in pieces)
    )


def _closing_credit(line: str, pieces: list[Piece] | None) -> bool:
    """A bracketed line that credits the article's reporters or its wire dateline.

    >>> from pipeline.core.vocabulary import Piece
    >>> _closing_credit("（本报记者 王明）", [Piece("byline", "王明")]), _closing_credit("（新华社北京2月28日电）", None)
    (True, True)
    >>> _closing_credit("（责任编辑：王明）", [Piece("editor", "王明")]), _closing_credit("本报记者 王明", [Piece("byline", "王明")])
    (False, False)
    """
    text = line.strip()
    if text[:1] not in "（(" or text[-1:] not in "）)":
        return False
    if pieces is not None:
        return all(piece.kind in ("byline", "author") for piece in pieces)
    return text[1:-1].strip().endswith(("电", "讯"))


def closing_metadata(page: Page, metadata_at: list[int]) -> int | None:
    """The line above the first metadata line that closes an e-edition block (a title, or no title at all).

    A metadata line closes a block when the nearest line above it (bylines
    aside) is not a body paragraph; an edition header at the top of a page,
    or a paper credit under a body, does not.
    """
    for meta in metadata_at:
        above = next((i for i in range(meta - 1, -1, -1) if page.kind.get(i) not in ("metadata_line", "byline")), None)
        if (
            above is not None
            and above not in page.kind
            and not is_prose(page.lines[above])
            and not page.patterns.vocabulary.is_article_line(page.lines[above])
        ):
            return above
    return None


def find_title(page: Page, header_end: int, learned: list[int]) -> int | None:
    """Which header line is the headline.

    The line a ——subtitle follows; else the last title-like line before the
    header's first metadata (a date, source, byline, or furniture the corpus
    taught) that says at least half as much as the longest of them: a
    poster's name, a byline or a price line is no headline; else a short
    first line followed by more text (a plain page).
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
        and not WIRE_DATELINE.match(lines[i])
    ]
    # Lines the corpus taught are furniture are headlines only when nothing else is, and a section
    # label (要闻) is nothing else: a headline every page of a site repeats is a headline still.
    fresh = [i for i in candidates if i not in learned and not page.is_learned(i, 0)]
    if all(section_like(lines[i], patterns) for i in fresh):
        fresh = [i for i in candidates if not section_like(lines[i], patterns)] or fresh
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


def _letters(line: str) -> int:
    """Letters and ideographs, a measure of how much a line says (digits, prices and codes say little).

    >>> _letters("中信证券 600030 1711.97 -5.41%"), _letters("央行：下调存款准备金率")
    (4, 10)
    """
    return sum(1 for ch in line if ch.isalpha())


def _mostly_metadata(page: Page, i: int) -> list[Piece] | None:
    """The pieces of a header or footer line that dates the page or names its source, and whose other pieces are short.

    A dateline's one unnamed piece, short and name-like (央视网 2020年06月28日,
    2020年07月13日 13:52 21世纪经济报道), is its source; a page line's, its section.
    """
    line = page.lines[i]
    if len(line) > MAX_METADATA_LINE_CHARS or not (find_dates(line) or page.patterns.vocabulary.label_piece):
        return None
    pieces = page.patterns.vocabulary.pieces(line)
    named = [p for p in pieces if p.kind != "unknown"]
    unknown = [p for p in pieces if p.kind == "unknown"]
    kinds = {p.kind for p in named}
    if len(unknown) == 1 and _SOURCE_LIKE.fullmatch(unknown[0].value.strip()) and not dated_headline(page, i):
        # A dateline's one unnamed piece is its source; a page line's (第4版 经济新闻), its section.
        if "date" in kinds and "source" not in kinds:
            return [*named, Piece("source", unknown[0].value.strip())]
        if "page" in kinds and section_like(unknown[0].value.strip(), page.patterns):
            return [*named, Piece("section", unknown[0].value.strip())]
    if not kinds & {"date", "source"} or len(named) < 2 or len(unknown) > 1:
        return None
    return named if all(len(p.value) <= 12 for p in unknown) else None


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
        elif i > at and (said(lines[i]) or WIRE_DATELINE.match(lines[i])):
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
