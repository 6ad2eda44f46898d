"""What header and footer lines state: dates, sources, sections, pages, authors, as Document fields.

`metadata` decides which lines of a page are header and footer; this module
reads their values: whole metadata lines of e-editions, bylines, the pieces
the vocabulary names (`vocabulary.Piece`), wire datelines, and the
publication a source line names.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass, field
from typing import Sequence

from pipeline.core.dates import DateFound, find_dates, parse_time
from pipeline.core.document import Document
from pipeline.core.patterns import HAN, Patterns
from pipeline.core.vocabulary import Piece

# The longest line a metadata pattern is tried on: a user's regex must never see a page-long line.
MAX_METADATA_LINE_CHARS = 200
_NAMES = re.compile(r"[\s、，,/和]+")
# An author's affiliation in brackets (its closing bracket may have been stripped with the piece's edge).
_AFFILIATION = re.compile(r"[（(][^（()）]{0,40}(?:[）)]|$)")
_NAME = re.compile(f"^(?:[{HAN}]{{2,4}}|[{HAN}]+[·•][{HAN}·•]+|[A-Z][a-z]+(?: [A-Z][a-z]+){{1,3}})$")
_PAGE_VALUE = re.compile(r"([A-Za-z]?\d{1,3})")
_PUBLICATION_ENDINGS = ("报", "网", "刊", "社", "台", "志", "端", "APP", "News", "Times", "Post")
_SIGNOFF = re.compile(r"\s*[（(【\[]\s*(?:完|全文完|END)\s*[）)】\]]\s*$")


def match_metadata_line(line: str, patterns: Patterns) -> tuple[datetime.date | None, str | None] | None:
    """(date, source) when ``line`` is a whole metadata line of a known layout.

    >>> from pipeline.core.patterns import load_patterns
    >>> match_metadata_line("( 2021-12-13 ) 稿件来源: 法治日报要闻", load_patterns())
    (datetime.date(2021, 12, 13), '法治日报要闻')
    """
    groups = metadata_groups(line, patterns)
    if groups is None:
        return None
    found = find_dates(groups.get("date") or "")
    return (found[0].date if found else None), (groups.get("source") or "").strip() or None


def metadata_groups(line: str, patterns: Patterns) -> dict[str, str] | None:
    line = line.strip()
    if len(line) > MAX_METADATA_LINE_CHARS:
        return None
    for layout in patterns.metadata_lines:
        match = layout.regex.match(line)
        if match:
            return {k: v for k, v in match.groupdict().items() if v}
    return None


def parse_byline(line: str, patterns: Patterns) -> tuple[str | None, tuple[str, ...]] | None:
    """(role, authors) when ``line`` is a byline, else None.

    >>> from pipeline.core.patterns import load_patterns
    >>> parse_byline("□ 本报记者 黄洁 董凡超", load_patterns())
    ('本报记者', ('黄洁', '董凡超'))
    >>> parse_byline("记者从北京市获悉，今年以来", load_patterns()) is None
    True
    """
    text = line.strip()
    if len(text) > patterns.byline_max_chars:
        return None
    return patterns.vocabulary.byline(text)


@dataclass
class Found:
    """What the header and footer said, in the order it was found."""

    dates: list[DateFound] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    authors: dict[str, None] = field(default_factory=dict)  # ordered, and a set
    role: str | None = None
    original_title: str | None = None
    title: str | None = None  # a labelled title (标题：…)

    def take_groups(self, groups: dict[str, str]) -> None:
        """The named groups of a whole metadata line (`patterns.toml` ``metadata_lines``)."""
        self.dates.extend(find_dates(groups.get("date", "")))
        self.sources += [groups["source"]] if "source" in groups else []
        self.sections += [groups["section"]] if "section" in groups else []
        self.pages += [groups["page"]] if "page" in groups else []
        self.authors.update(dict.fromkeys([groups["author"]] if "author" in groups else []))

    def harvest(self, pieces: Sequence[Piece], patterns: Patterns) -> bool:
        """Take the values of ``pieces``; True when one of them was metadata."""
        metadata = False
        for piece in pieces:
            if piece.kind == "date":
                self.dates.extend(find_dates(piece.value))
            elif piece.kind == "time":
                # A dateline split in pieces: MARCH 9, 2020 / 4:58 PM
                time_of_day = parse_time(piece.value)
                if self.dates and self.dates[-1].time is None and time_of_day is not None:
                    self.dates[-1] = dataclasses.replace(self.dates[-1], time=time_of_day)
            elif piece.kind == "source" and piece.value:
                self.sources.append(piece.value)
            elif piece.kind == "section" and piece.value:
                self.sections.append(piece.value)
            elif piece.kind == "page" and piece.value:
                page = _PAGE_VALUE.search(piece.value)
                self.pages += [page.group(1)] if page else []
            elif piece.kind == "original_title" and piece.value:
                self.original_title = self.original_title or piece.value
            elif piece.kind == "title" and piece.value:
                self.title = self.title or piece.value
            elif piece.kind == "author":
                # 谢杰（北京协和医院 主任医师）: the affiliation in brackets is no name.
                value = _AFFILIATION.sub(" ", piece.value).strip()
                byline = patterns.vocabulary.byline(value)
                if byline is not None:
                    self.role = self.role or byline[0]
                names = byline[1] if byline is not None else [n for n in _NAMES.split(value) if _NAME.match(n)]
                self.authors.update(dict.fromkeys(names))
            elif piece.kind == "byline":
                self.authors.update(dict.fromkeys(piece.value.split("、")))
                self.role = self.role or piece.role or None
            else:
                continue
            metadata = True
        return metadata


def section_like(line: str, patterns: Patterns) -> bool:
    text = line.strip()
    return 0 < len(text) <= patterns.section_max_chars and re.fullmatch(f"[{HAN}A-Za-z0-9·]+", text) is not None


def harvest_metadata(lines: Sequence[str], patterns: Patterns) -> dict:
    """The metadata stated by lines that are not part of a text (an HTML page's lines around its main text).

    Only whole metadata lines and lines the vocabulary explains count: a
    page's other lines (menus, lists of other articles) hold other dates.
    Returns Document fields: date, published_at, publication, section, page,
    byline_role, authors, original_title (absent when not found).
    """
    found = Found()
    for line in lines:
        groups = metadata_groups(line, patterns)
        if groups is not None:
            found.take_groups(groups)
        elif len(line) <= MAX_METADATA_LINE_CHARS and (pieces := patterns.vocabulary.explain(line)) is not None:
            found.harvest(pieces, patterns)
    section = found.sections[0] if found.sections else None
    publication, section = publication_of(Document(doc_id="", source_path=""), found, section, patterns)
    dated = next((d for d in found.dates if d.time is not None), None)
    fields = {
        "date": found.dates[0].date if found.dates else None,
        "published_at": dated.published_at if dated and dated.date == found.dates[0].date else None,
        "publication": publication,
        "section": section,
        "page": page_label(found.pages[0]) if found.pages else None,
        "byline_role": found.role,
        "authors": tuple(found.authors),
        "original_title": found.original_title,
    }
    return {key: value for key, value in fields.items() if value}


def publication_of(
    doc: Document, found: Found, section: str | None, patterns: Patterns
) -> tuple[str | None, str | None]:
    """The publication (a known name in a source, else the source less its section), and the section."""
    if doc.publication:
        return doc.publication, section
    for source in found.sources:
        known = patterns.vocabulary.publication_in(source)
        if known:
            rest = source[source.rfind(known) + len(known) :].strip()
            if len(rest) == 1 or rest.endswith(_PUBLICATION_ENDINGS):
                # 中国日报网 and 第一财经日报 are publications of their own, not sections 网 and 日报.
                return source, section
            if section is None and rest and section_like(rest, patterns):
                section = rest
            return known, section
    if found.sources:
        source = found.sources[0]
        if section and source.endswith(section) and source != section:
            return source[: -len(section)], section
        return source, section
    return None, section


def wire_dateline(first: str, patterns: Patterns) -> tuple[tuple[str, ...], str | None]:
    """Reporters and agency named at the opening of a wire story (新华社北京1月5日电（记者 王明）)."""
    for pattern in patterns.vocabulary.datelines:
        match = pattern.match(first)
        if match:
            roles = patterns.vocabulary.byline_roles
            names = tuple(
                n for n in _NAMES.split(match.groupdict().get("names") or "") if _NAME.match(n) and n not in roles
            )
            agency = (match.groupdict().get("agency") or "").strip()
            return names, (agency if agency and agency not in ("本报", "本報") else None)
    return (), None


def without_signoff(line: str) -> str:
    """The last body line without a wire sign-off glued to its end (……工作。（完）).

    >>> without_signoff("会议于今天闭幕。（完）"), without_signoff("（完）")
    ('会议于今天闭幕。', '（完）')
    """
    # Only the line's tail is searched: a regex that starts with spaces, run over
    # a line of a hundred thousand spaces, would try every one of them.
    tail = line[-24:]
    match = _SIGNOFF.search(tail)
    if match is None or match.start() == 0 and len(line) <= len(tail):
        return line
    return line[: len(line) - len(tail) + match.start()]


def page_label(page: str) -> str:
    """03 -> 3, A3 -> A3.

    >>> page_label("03"), page_label("A03")
    ('3', 'A3')
    """
    letters = "".join(ch for ch in page if not ch.isdigit()).upper()
    digits = "".join(ch for ch in page if ch.isdigit())
    return letters + (str(int(digits)) if digits else "")
