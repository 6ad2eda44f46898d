"""A page as the ``extract`` stage sees it: its lines, and what in their header and footer zones is furniture or metadata.

`Page` finds where the body starts and ends (`Page.zones`); the functions
below decide what in each zone is furniture or metadata (`clean_zone`) and which
metadata line closes an e-edition block (`closing_metadata`); which line is the
title is `pipeline.clean.titles`'. `pipeline.clean.metadata` runs them in order.
"""

from __future__ import annotations

import re

from pipeline.clean.boilerplate import is_learned, is_prose
from pipeline.clean.fields import MAX_METADATA_LINE_CHARS, Found, section_like
from pipeline.clean.titles import dated_headline
from pipeline.core.dates import find_dates
from pipeline.core.patterns import Patterns
from pipeline.core.vocabulary import Piece

__all__ = [
    "Page",
    "clean_zone",
    "clear_placeholders",
    "closing_metadata",
]

# The most lines a header or a footer zone holds: a page with no prose at all
# (a list, a poem) is not all header.
MAX_ZONE_LINES = 60
# A source name: a few words or ideographs, no sentence in it.
_SOURCE_LIKE = re.compile(r"(?=(?:\d*[^\W\d_]){2})[\w·&.\-]{2,16}(?: [\w·&.\-]+){0,3}")
# Around a related-links or comments marker: 【相关阅读】, ■ 最热评论：
_MARKER_EDGE = " :：·•●■□【】[]"
# The longest line a comments or recommendations marker stands on (■ Story continues below).
MAX_MARKER_CHARS = 30
# A notice's signature block under its closing formula: the issuer (one or two lines), then the date.
SIGNATURE_LINES = 3
# The longest line that can be a placeholder between paragraphs (Story continues below advertisement).
MAX_PLACEHOLDER_CHARS = 40
MAX_SIGNATURE_CHARS = 40


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
        lines that close an article, furniture among them (责任编辑：…, 举报 / 反馈), starts the footer at those
        lines: the prose after the marker is other people's. (延伸阅读 and 相关阅读 may head a
        box of the article's own, and mark the footer only where it starts by itself.)
        """
        markers = self.patterns.vocabulary.after_article_markers
        for i in range(header_end + 1, footer_start):
            line = self.lines[i]
            if (
                len(line) <= MAX_MARKER_CHARS
                and line.strip(_MARKER_EDGE).casefold() in markers
                and not is_prose(self.lines[i - 1])
            ):
                start = i - 1
                while start - 1 >= header_end and not is_prose(self.lines[start - 1]):
                    start -= 1
                # Only furniture closes an article (责任编辑：…): a subhead or a caption above the marker does not.
                if any(self.explained(j) is not None for j in range(start, i)):
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


def clear_placeholders(page: Page, body: range) -> None:
    """Lines between the body's paragraphs that only hold an advert's or a folded page's mark (ADVERTISEMENT, 展开全文)."""
    anywhere = page.patterns.vocabulary.anywhere
    for i in body:
        if i not in page.kind and len(page.lines[i]) <= MAX_PLACEHOLDER_CHARS:
            pieces = page.explained(i)
            if pieces and all(piece.kind in anywhere for piece in pieces):
                page.kind[i] = "boilerplate"


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
    # A dot may part the source from the date (2024-06-02 09:00·新京报评论); other marks make it a sentence.
    rest = unknown[0].value.strip().lstrip("·•・").strip() if unknown else ""
    if len(unknown) == 1 and _SOURCE_LIKE.fullmatch(rest) and not dated_headline(page, i):
        # A dateline's one unnamed piece is its source; a page line's (第4版 经济新闻), its section.
        if "date" in kinds and "source" not in kinds:
            return [*named, Piece("source", rest)]
        if "page" in kinds and section_like(rest, page.patterns):
            return [*named, Piece("section", rest)]
    if not kinds & {"date", "source"} or len(named) < 2 or len(unknown) > 1:
        return None
    return named if all(len(p.value) <= 12 for p in unknown) else None
