"""HTML pages: the main text of a saved page, by trafilatura, and the metadata around it.

Scrapers often keep the page itself. trafilatura (the extractor of the
field's own pipelines) finds the article's main text, title and date and
leaves the page's menus, sidebars and footers behind. The lines around the
main text (the page's header: date, source, author, an e-edition's page
header) are read the way the ``extract`` stage reads a text page's header
(`metadata.harvest_metadata`), so that an HTML page gets the same columns as
a text page; they do not enter the text. The text then goes through the
same stages as any page: page-jump markers, boilerplate, page dedup,
normalisation, MinHash.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

import lxml.html
from lxml import etree

from pipeline.config import Config
from pipeline.dates import find_dates, parse_date
from pipeline.document import REJECT_NO_MAIN_TEXT, Document
from pipeline.metadata import harvest_metadata

HTML_SUFFIXES = (".html", ".htm")
EXTRACTOR = "trafilatura"
# Elements that start a new line of a page's visible text.
_BLOCKS = ("p", "div", "td", "th", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "br", "section",
           "article", "header", "footer", "nav", "aside", "dl", "dt", "dd", "blockquote", "pre", "form", "title", "hr")
# Lines of the page around its main text that may hold its metadata.
CONTEXT_LINES = 40
# A "main text" shorter than this is a page's leftover (an index page's one
# word), not an article.
MIN_TEXT_CHARS = 20
_SPACE = re.compile(r"\s+")


def extract_html(doc: Document, config: Config) -> Document:
    """The record of an HTML page (``doc.text`` is the decoded HTML): its main text and metadata, or a reject."""
    # Imported on the first HTML page: a run of text pages (and the CLI's start) need not load it.
    import trafilatura

    try:
        # Dates only from the page's metadata: a date trafilatura guesses from
        # the text (a copyright year read as 1 January) is worse than the
        # dates the extract stage finds in the text itself.
        result = trafilatura.bare_extraction(doc.text, with_metadata=True, include_comments=False, include_tables=False,
                                             include_images=False, deduplicate=False,
                                             date_extraction_params={"extensive_search": False, "original_date": True})
    except (ValueError, TypeError, etree.LxmlError) as error:
        return doc.rejecting(REJECT_NO_MAIN_TEXT, f"not an HTML page trafilatura can read: {type(error).__name__}: {error}")
    text = (getattr(result, "text", None) or "").strip() if result is not None else ""
    if len(_SPACE.sub("", text)) < MIN_TEXT_CHARS:
        return doc.rejecting(REJECT_NO_MAIN_TEXT, f"HTML page with no main text ({len(text)} characters: an index, a list of links, an empty page)")
    header, footer = context_lines(doc.text, text)
    patterns = config.patterns
    found = harvest_metadata(header + footer, patterns)
    if "date" not in found:
        # No line of the page's header is all metadata: the date nearest above
        # the main text is the article's.
        near = [d for line in header for d in find_dates(line)]
        if near:
            found["date"], found["published_at"] = near[-1].date, near[-1].published_at
    title = doc.title or _clean(getattr(result, "title", None))
    date = doc.date or found.get("date") or _date(getattr(result, "date", None))
    author = getattr(result, "author", None)
    fields = {
        "title": title,
        "date": date,
        "published_at": doc.published_at or (found.get("published_at") if found.get("date") == date else None),
        "publication": doc.publication or found.get("publication") or _clean(getattr(result, "sitename", None)),
        "section": doc.section or found.get("section"),
        "page": doc.page or found.get("page"),
        "byline_role": doc.byline_role or found.get("byline_role"),
        "authors": doc.authors or found.get("authors") or _authors(author, patterns),
        "original_title": doc.original_title or found.get("original_title"),
        # The page's own link (canonical, og:url): where it comes from, its site's host.
        "url": doc.url or _clean(getattr(result, "url", None)),
    }
    return doc.replace(text=text, extractor=EXTRACTOR, **fields)


def context_lines(html: str, main_text: str) -> tuple[list[str], list[str]]:
    """The page's visible lines just before and just after its main text."""
    lines = visible_lines(html)
    paragraphs = [p for p in main_text.split("\n") if p.strip()]
    first, last = _key(paragraphs[0]), _key(paragraphs[-1])
    keys = [_key(line) for line in lines]
    start = next((i for i, key in enumerate(keys) if first and first in key), None)
    end = next((i for i in range(len(keys) - 1, -1, -1) if last and last in keys[i]), None)
    if start is None or end is None or end < start:
        return lines[:CONTEXT_LINES], []
    return lines[max(0, start - CONTEXT_LINES) : start], lines[end + 1 : end + 1 + CONTEXT_LINES]


def visible_lines(html: str) -> list[str]:
    """The text a browser shows, one line per block element (scripts and styles left out)."""
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, etree.LxmlError):
        return []
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
        if element.tag != "br":
            element.text = "\n" + (element.text or "")
    for element in root.iter("script", "style", "noscript", "template"):
        element.text = None
    text = root.text_content() if hasattr(root, "text_content") else ""
    return [line for line in (_SPACE.sub(" ", raw).strip() for raw in text.split("\n")) if line]


def _key(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))[:24]


def _clean(value: str | None) -> str | None:
    value = _SPACE.sub(" ", value or "").strip()
    return value or None


def _authors(author: str | None, patterns) -> tuple[str, ...]:
    """Names from the page's author metadata (本报记者 王明 李华, Jane Doe; John Smith)."""
    if not author:
        return ()
    byline = patterns.vocabulary.byline(author.strip())
    if byline is not None:
        return byline[1]
    return tuple(a.strip() for a in re.split(r"[;；,，、]", author) if a.strip())


def _date(value: str | None) -> datetime.date | None:
    return parse_date(value) if value else None
