"""The ``extract`` stage: title, date, publication, section, authors out of any page's header and footer.

A page's *header zone* is its lines before the first body paragraph, its
*footer zone* the lines after the last one; a body paragraph is a line that
reads like prose and that neither the vocabulary (`pipeline.core.vocabulary`)
nor the learned boilerplate (`pipeline.clean.boilerplate`) explains. In those
zones only:

- a line the vocabulary explains piece by piece (dates, ``来源：``,
  ``责任编辑：``, share and print widgets, breadcrumbs, copyright notices,
  bylines) leaves the text; its dates, sources, authors, section and
  original title fill the columns;
- a line whose template the corpus taught (standing at the same edge of
  many articles) leaves the text;
- after a related-links marker (相关新闻, 往期推荐) the rest of the footer goes;
- the title is the last title-like line before the header's metadata (a
  kicker above it and a ——subtitle below it go into their own columns; a
  quotation or a sentence under it is the article's lead and stays).

Whole metadata lines of e-editions (``( 2021-12-13 ) 稿件来源: 法治日报要闻``,
``光明日报 2020年01月05日 第03版 要闻``) and boxed bylines are taken wherever
they stand, and an e-edition's title is the line right above its metadata
line. Values already known (from a JSONL record) win over values found here.
"""

from __future__ import annotations

from pipeline.clean.boilerplate import page_site
from pipeline.clean.fields import (
    Found,
    harvest_metadata,
    match_metadata_line,
    metadata_groups,
    page_label,
    parse_byline,
    publication_of,
    section_like,
    wire_dateline,
    without_signoff,
)
from pipeline.clean.page_zones import Page, clean_zone, clear_placeholders, closing_metadata
from pipeline.clean.titles import DASH_LINE, drop_around_title, find_title, said, title_like
from pipeline.core.config import Config
from pipeline.core.dates import parse_date
from pipeline.core.document import Document, Removal
from pipeline.core.line_shapes import EDGE
from pipeline.core.nfkc import nfkc
from pipeline.core.patterns import Patterns

__all__ = [
    "extract_metadata",
    "extract_batch",
    "harvest_metadata",
    "match_metadata_line",
    "parse_byline",
    "parse_date",
    "BOILERPLATE_KINDS",
]

STAGE_EXTRACT = "extract"
# Removal kinds that are page furniture, not metadata moved into columns.
BOILERPLATE_KINDS = ("boilerplate", "learned", "related", "header_line")
_NO_LEARNED: tuple[frozenset[int], ...] = (frozenset(),) * 4


def extract_metadata(
    doc: Document,
    patterns: Patterns,
    learned: tuple[frozenset[int], ...] = _NO_LEARNED,
    known: dict[str, int] | None = None,
) -> Document:
    """The ``extract`` stage for one record: header and footer lines into columns, body lines kept.

    ``learned`` is (top, bottom, top_in_block, bottom_in_block): the hashes
    of the learned boilerplate templates that apply to this page
    (`pipeline.learn.learned.Learned.for_page`);
    ``known``: template hashes of lines, where the reading pass computed them.
    """
    if doc.rejected:
        return doc
    page = Page([line.strip() for line in doc.text.split("\n") if line.strip()], patterns, learned, known)
    lines, kind = page.lines, page.kind
    found = Found()
    metadata_at: list[int] = []
    for i, line in enumerate(lines):
        groups = metadata_groups(line, patterns)
        if groups is not None:
            kind[i] = "metadata_line"
            metadata_at.append(i)
            found.take_groups(groups)
        elif line[:1] in patterns.byline_markers and (byline := parse_byline(line, patterns)) is not None:
            kind[i] = "byline"
            found.role = found.role or byline[0]
            found.authors.update(dict.fromkeys(byline[1]))
    header_end, footer_start = page.zones()
    learned_header = clean_zone(page, range(header_end), 0, found)
    clean_zone(page, range(footer_start, len(lines)), 1, found)
    clear_placeholders(page, range(header_end, footer_start))
    # Metadata lines that may close an e-edition block: whole metadata lines
    # anywhere, and the footer's date and source lines.
    footer_metadata = [i for i in range(footer_start, len(lines)) if kind.get(i) == "metadata_line"]
    closing = closing_metadata(page, sorted(set(metadata_at + footer_metadata)))
    if (
        closing
        and (DASH_LINE.match(lines[closing]) or said(lines[closing]))
        and closing - 1 not in kind
        and title_like(lines[closing - 1], patterns, in_title_position=True)
        and not said(lines[closing - 1])
    ):
        # A ——subtitle, or a pull quote that opens the article, between the title and its metadata line.
        if DASH_LINE.match(lines[closing]):
            kind[closing] = "subtitle"
        closing -= 1
    if closing is not None and closing >= header_end and not (doc.title or found.title):
        # A metadata line under the body closes an e-edition block only when the page has no headline
        # above its body: a web page's paper credit (《 人民日报 》（…版）) follows its last paragraph.
        headline = find_title(page, header_end, learned_header, found.sources)
        # A short headline right above the page's dateline (热腾腾的新年) is one, for all it looks like a section label.
        if headline is not None and (
            not section_like(lines[headline], patterns) or kind.get(headline + 1) == "metadata_line"
        ):
            closing = None
    section = doc.section or (found.sections[0] if found.sections else None)
    if section is None and closing is not None and 0 not in kind and section_like(lines[0], patterns):
        if closing == 1:
            # Right above the title, a short line headlines it: a kicker (新春走基层).
            kind[0] = "kicker"
        else:
            # An e-edition block opens with its section label (要闻) above a byline and the body.
            section = lines[0]
            kind[0] = "section"
    if doc.title:
        title = doc.title
    elif found.title:
        # A disclosure table's 标题：…, as the page prints it in its headline (the label's value is normalised).
        title = next((line for line in lines if nfkc(line).strip(EDGE) == found.title), found.title)
    elif closing is not None:
        # An e-edition block closes with its title right above its metadata line.
        title = (
            lines[closing]
            if closing not in kind and title_like(lines[closing], patterns, in_title_position=True)
            else None
        )
    else:
        at = find_title(page, header_end, learned_header, found.sources)
        if at is not None:
            kind[at] = "title"
        title = lines[at] if at is not None else found.original_title
    if title:
        for i, line in enumerate(lines):
            if i not in kind and line == title:
                kind[i] = "title"
    # Learned header lines go once the title is chosen: a headline that looks
    # like others (习近平：……) is never taken for furniture.
    for i in learned_header:
        kind.setdefault(i, "learned")
    if closing is None and title:
        drop_around_title(page, header_end, learned_header)
    publication, section = publication_of(doc, found, section, patterns)
    body = [line for i, line in enumerate(lines) if i not in kind]
    authors, agency = wire_dateline(body[0] if body else "", patterns)
    if body:
        body[-1] = without_signoff(body[-1])
    dated = next((d for d in found.dates if d.time is not None), None)
    removals = tuple(Removal(STAGE_EXTRACT, kind[i], lines[i]) for i in sorted(kind))
    return doc.replace(
        text="\n".join(body),
        title=title,
        date=doc.date or (found.dates[0].date if found.dates else None),
        published_at=doc.published_at
        or (dated.published_at if dated and (doc.date is None or dated.date == doc.date) else None),
        publication=publication or agency,
        section=section,
        page=doc.page or (page_label(found.pages[0]) if found.pages else None),
        original_title=doc.original_title or found.original_title,
        byline_role=doc.byline_role or found.role,
        authors=doc.authors or tuple(found.authors) or authors or tuple(dict.fromkeys(page.credited)),
        removals=doc.removals + removals,
    )


def extract_batch(
    docs: list[Document], config: Config, learned=None, known: dict[str, int] | None = None
) -> list[Document]:
    """The ``extract`` stage over a batch; ``learned`` is a `pipeline.learn.learned.Learned` (or None), ``known`` as in `extract_metadata`."""
    patterns = config.patterns
    out = []
    # One lookup per site, not per page.
    per_scope: dict[str, tuple[frozenset[int], ...]] = {}
    for doc in docs:
        templates = _NO_LEARNED
        if learned:
            scope = page_site(doc)
            if scope not in per_scope:
                per_scope[scope] = learned.for_page(scope)
            templates = per_scope[scope]
        out.append(extract_metadata(doc, patterns, templates, known))
    return out
