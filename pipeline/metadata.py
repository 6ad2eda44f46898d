"""The ``extract`` stage: title, date, publication, section and byline out of the page.

E-edition scrapes put the article's header lines around (and sometimes
between copies of) the body: a section label first, a byline, the title, and
a metadata line with the date and the source. `extract_metadata` finds these
lines with the pattern table, moves their content into columns and leaves
only body lines in the text. Values already known (from a JSONL record) win
over values found in the text.
"""

from __future__ import annotations

import dataclasses
import datetime
import re

from pipeline.config import Config
from pipeline.document import Document, Removal
from pipeline.patterns import HAN, Patterns, load_patterns

STAGE_EXTRACT = "extract"

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# Chinese names are two to four characters; transliterated ones join parts with a dot.
_NAME = re.compile(f"^(?:[{HAN}]{{2,4}}|[{HAN}]+[·•][{HAN}·•]+)$")
_NAME_SPLIT = re.compile(r"[\s、，,/]+")
# Headlines may end in a colon, question or exclamation mark (朱寄云：,
# 我们该怎么预防？), never in a full stop, comma or semicolon.
_TITLE_ENDINGS = tuple("。；，,;.")


def parse_date(value: str) -> datetime.date | None:
    """A calendar date from the forms Chinese news pages use; None if there is none.

    >>> [parse_date(v) for v in ("2021-12-13", "2020年1月4日", "20200104", "2021/2/30", "soon")]
    [datetime.date(2021, 12, 13), datetime.date(2020, 1, 4), datetime.date(2020, 1, 4), None, None]
    """
    value = value.strip()
    match = _DATE.search(value) or _COMPACT_DATE.match(value)
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def parse_byline(line: str, patterns: Patterns) -> tuple[str, tuple[str, ...]] | None:
    """(role, authors) when ``line`` is a byline, else None.

    >>> from pipeline.patterns import load_patterns
    >>> parse_byline("□ 本报记者 黄洁 董凡超", load_patterns())
    ('本报记者', ('黄洁', '董凡超'))
    >>> parse_byline("本报记者 黄洁 本报通讯员 李明", load_patterns())
    ('本报记者', ('黄洁', '李明'))
    >>> parse_byline("记者从北京市获悉，今年以来", load_patterns()) is None
    True
    """
    text = line.strip()
    if len(text) > patterns.byline_max_chars:
        return None
    marked = bool(text) and text[0] in patterns.byline_markers
    text = text.lstrip(patterns.byline_markers).strip()
    role, names = None, []
    for token in _NAME_SPLIT.split(text):
        if not token:
            continue
        token_role = next((r for r in patterns.byline_roles if token.startswith(r)), None)
        if token_role:
            role = role or token_role
            token = token[len(token_role) :]
            if not token:
                continue
            if not marked:
                # "记者手记" is a heading; only a boxed byline may glue role and name.
                return None
        if not _NAME.match(token):
            return None
        names.append(token)
    if not names or (role is None and not marked):
        return None
    return role, tuple(dict.fromkeys(names))


def match_metadata_line(line: str, patterns: Patterns) -> tuple[datetime.date | None, str | None] | None:
    """(date, source) when ``line`` is a metadata line of a known layout.

    >>> from pipeline.patterns import load_patterns
    >>> match_metadata_line("( 2021-12-13 ) 稿件来源: 法治日报要闻", load_patterns())
    (datetime.date(2021, 12, 13), '法治日报要闻')
    """
    line = line.strip()
    if len(line) > MAX_METADATA_LINE_CHARS:
        # Header lines are short; a user's regex must never see a page-long line.
        return None
    for layout in patterns.metadata_lines:
        match = layout.regex.match(line)
        if match:
            groups = match.groupdict()
            source = (groups.get("source") or "").strip() or None
            return parse_date(groups.get("date") or ""), source
    return None


_WORD = re.compile(r"\w")
# The longest line a metadata pattern is tried on.
MAX_METADATA_LINE_CHARS = 200


def _title_like(line: str, patterns: Patterns, *, in_title_position: bool) -> bool:
    """Short, and not ending like a body sentence.

    In the e-edition's title position (above the metadata line) 开训！ and
    怎么预防？ are headlines; as the first line of a plain text, a line ending
    in ！ or ？ is more likely a salutation or a question that opens the body.
    """
    text = line.strip()
    endings = _TITLE_ENDINGS if in_title_position else _TITLE_ENDINGS + tuple(patterns.sentence_end)
    return 0 < len(text) <= patterns.title_max_chars and not text.endswith(endings) and _WORD.search(text) is not None


def _section_like(line: str, patterns: Patterns) -> bool:
    text = line.strip()
    return 0 < len(text) <= patterns.section_max_chars and re.fullmatch(f"[{HAN}A-Za-z0-9·]+", text) is not None


def extract_metadata(doc: Document, patterns: Patterns) -> Document:
    """The ``extract`` stage for one record: header lines into columns, body lines kept."""
    if doc.rejected:
        return doc
    lines = [line for line in doc.text.split("\n") if line.strip()]
    kind: dict[int, str] = {}
    date, source, role = None, None, None
    authors: dict[str, None] = {}  # ordered, and a set: a page of bylines must not cost n squared

    for i, line in enumerate(lines):
        found = match_metadata_line(line, patterns)
        if found is not None:
            kind[i] = "metadata_line"
            date = date or found[0]
            source = source or found[1]
            continue
        byline = parse_byline(line, patterns)
        if byline is not None:
            kind[i] = "byline"
            role = role or byline[0]
            authors.update(dict.fromkeys(byline[1]))

    title = doc.title
    first_meta = min((i for i, k in kind.items() if k == "metadata_line"), default=None)
    if title is None:
        if first_meta is not None:
            # E-edition layout: the title is the line right above the metadata line
            # (bylines aside); a body line there means the page has no title.
            above = [i for i in range(first_meta) if i not in kind]
            if above and _title_like(lines[above[-1]], patterns, in_title_position=True):
                title = lines[above[-1]].strip()
        else:
            # Plain article: a short first line followed by a body is its title.
            # Lines of punctuation only are layout, not a title (normalize drops them).
            first = next((i for i in range(len(lines)) if i not in kind and _WORD.search(lines[i])), None)
            if first is not None and first + 1 < len(lines) and _title_like(lines[first], patterns, in_title_position=False):
                title = lines[first].strip()
    if title:
        for i, line in enumerate(lines):
            if i not in kind and line.strip() == title:
                kind[i] = "title"

    section = doc.section
    first_free = next((i for i in range(len(lines)) if i not in kind), None)
    if first_free is not None and first_meta is not None and _section_like(lines[first_free], patterns):
        candidate = lines[first_free].strip()
        if section is None or section == candidate:
            section = candidate
            kind[first_free] = "section"

    publication = doc.publication
    if publication is None and source:
        publication = source[: -len(section)] if section and source.endswith(section) and source != section else source

    body = [line for i, line in enumerate(lines) if i not in kind]
    removals = tuple(Removal(STAGE_EXTRACT, kind[i], lines[i].strip()) for i in sorted(kind))
    return dataclasses.replace(
        doc,
        text="\n".join(body),
        title=title,
        date=doc.date or date,
        publication=publication,
        section=section,
        byline_role=doc.byline_role or role,
        authors=doc.authors or tuple(authors),
        removals=doc.removals + removals,
    )


def extract_batch(docs: list[Document], config: Config) -> list[Document]:
    """The ``extract`` stage over a batch."""
    patterns = load_patterns(config.patterns_file)
    return [extract_metadata(d, patterns) for d in docs]
