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

import copy
import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import lxml.html
from lxml import etree

from pipeline.clean.metadata import harvest_metadata
from pipeline.core.config import Config
from pipeline.core.dates import find_dates, parse_date
from pipeline.core.document import FLAG_NUL_REMOVED, REJECT_NO_MAIN_TEXT, REJECT_TOO_LARGE, Document

HTML_SUFFIXES = (".html", ".htm")
EXTRACTOR = "trafilatura"
# Elements that start a new line of a page's visible text.
_BLOCKS = (
    "p",
    "div",
    "td",
    "th",
    "tr",
    "li",
    "ul",
    "ol",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "aside",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "form",
    "title",
    "hr",
)
# Lines of the page around its main text that may hold its metadata.
CONTEXT_LINES = 40
# A "main text" shorter than this is a page's leftover (an index page's one
# word), not an article.
MIN_TEXT_CHARS = 20
_SPACE = re.compile(r"\s+")

# What one page may cost. trafilatura's full extraction compares its own result
# with readability's and justext's when that result is short or unclean, and
# justext's neighbour search is quadratic in the page's blocks. Measured
# (trafilatura 2.3.1, this project's 2-core machine) on a page with a short
# article beside N filler blocks: 1,000 <div>s 0.34 s, 3,000 1.7 s, 5,000 5 s,
# 10,000 21 s, 20,000 (340 KB) over a minute; the same pages in trafilatura's
# fast mode (its own extractor only, no fallback): 0.10 s, 0.38 s, 0.7 s, 1.1 s,
# 2.2 s, linear. An ordinary article page holds a few hundred to 2,000 elements.
# Above FAST_ELEMENTS a page is extracted in fast mode: its cost stays linear.
FAST_ELEMENTS = 3_000
# Above MAX_ELEMENTS a page is rejected as too_large before trafilatura sees it:
# even in fast mode it would cost ~100 µs an element (a 1.2 MB table page seconds),
# and a page of that many elements is a table, a list or a dump, not an article.
MAX_ELEMENTS = 20_000
# libxml2 reads HTML only so deep: 256 elements by default (lxml's limit, that
# cut an article inside 300 nested <div>s down to nothing), 2,048 with its
# huge-tree option, which pages here are parsed with. A page deeper than the
# default is extracted in fast mode (the full extraction's cost grows with the
# depth too: 1.6 s at 2,040 levels against 0.2 s).
DEFAULT_DEPTH = 256
MAX_DEPTH = 2_048
# A page nested deeper than MAX_DEPTH (an unclosed <div> or <font> per
# paragraph, thousands of times) is read again without the tags that nest: a
# tag that stands this often on the deepest element's line of ancestors.
NESTING_TAG_MIN = 64
# Characters libxml2 cannot hold in a tree (trafilatura takes them out of the
# page too; lxml refuses a string that holds them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# trafilatura's own test of whether a page is HTML: "html" in its first 50 characters.
_SNIFF_CHARS = 50


@dataclass(frozen=True)
class Page:
    """A page parsed for trafilatura, with what decides how it is extracted."""

    tree: lxml.html.HtmlElement | None
    html: str  # the markup the tree was read from (nesting tags taken out when it was too deep)
    elements: int = 0
    deep: bool = False  # deeper than libxml2 reads by default
    too_deep: bool = False  # deeper than libxml2 reads at all, even with the nesting tags taken out
    flattened: tuple[str, ...] = ()  # the tags taken out to read it
    problem: str = ""  # why there is no tree

    @property
    def fast(self) -> bool:
        """Whether trafilatura's fast mode (no quadratic fallback) extracts this page."""
        return self.elements > FAST_ELEMENTS or self.deep


def extract_html(doc: Document, config: Config) -> Document:
    """The record of an HTML page (``doc.text`` is the decoded HTML): its main text and metadata, or a reject."""
    # Imported on the first HTML page: a run of text pages (and the CLI's start) need not load it.
    import trafilatura

    html = doc.text or ""
    if "\x00" in html:
        # A NUL (a JSONL html field that starts with one) is no text; decoded files lose theirs the same way.
        doc = doc.with_flag(FLAG_NUL_REMOVED)
    page = read_page(html)
    if page.tree is None:
        return doc.rejecting(REJECT_NO_MAIN_TEXT, f"not an HTML page trafilatura can read: {page.problem}")
    if page.too_deep:
        return doc.rejecting(
            REJECT_TOO_LARGE,
            f"HTML page nested over {MAX_DEPTH:,} elements deep"
            + (f" even without its nesting <{'>, <'.join(page.flattened)}> tags" if page.flattened else "")
            + ": lxml reads no deeper, the text below cannot be read",
        )
    if page.elements > MAX_ELEMENTS:
        return doc.rejecting(
            REJECT_TOO_LARGE,
            f"HTML page of {page.elements:,} elements: over the {MAX_ELEMENTS:,} a page may have "
            "(a table, a list or a dump, not an article; extraction would cost seconds)",
        )
    try:
        result = trafilatura.bare_extraction(page.tree, options=_extractor(page.fast))
    except (ValueError, TypeError, etree.LxmlError) as error:
        return doc.rejecting(
            REJECT_NO_MAIN_TEXT, f"not an HTML page trafilatura can read: {type(error).__name__}: {error}"
        )
    except RecursionError:
        return doc.rejecting(
            REJECT_TOO_LARGE, f"HTML page nested too deeply for trafilatura ({page.elements:,} elements)"
        )
    text = (getattr(result, "text", None) or "").strip() if result is not None else ""
    if len(_SPACE.sub("", text)) < MIN_TEXT_CHARS:
        return doc.rejecting(
            REJECT_NO_MAIN_TEXT,
            f"HTML page with no main text ({len(text)} characters: an index, a list of links, an empty page)",
        )
    header, footer = context_lines(page.tree, text)
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


def read_page(html: str) -> Page:
    """The page parsed as trafilatura would parse it, but as deep as libxml2 reads, with its size and depth.

    Parsed once here and handed to trafilatura as a tree, so that the bounds
    above are decided on what trafilatura will walk.

    >>> page = read_page("<html><body>" + "<div>" * 300 + "<p>正文</p>" + "</div>" * 300 + "</body></html>")
    >>> page.deep, page.too_deep, "正文" in page.tree.text_content()
    (True, False, True)
    >>> read_page("").problem
    'the page is empty'
    """
    html = _NOT_XML.sub("", html)
    tree, problem = _parse(html)
    if tree is None:
        return Page(None, html, problem=problem)
    elements, depth, deepest = _measure(tree)
    if depth < MAX_DEPTH:
        return Page(tree, html, elements, deep=depth >= DEFAULT_DEPTH)
    # Cut at MAX_DEPTH: what lies deeper is lost unless the tags that nest are taken out.
    counts: dict[str, int] = {}
    for element in deepest.iterancestors():
        if isinstance(element.tag, str):
            counts[element.tag] = counts.get(element.tag, 0) + 1
    nesting = tuple(
        sorted(tag for tag, count in counts.items() if count >= NESTING_TAG_MIN and tag not in ("html", "body"))
    )
    if not nesting:
        return Page(tree, html, elements, deep=True, too_deep=True)
    flat = re.sub(rf"</?(?:{'|'.join(map(re.escape, nesting))})\b[^>]*>", "\n", html, flags=re.IGNORECASE)
    flat_tree, problem = _parse(flat)
    if flat_tree is None:
        return Page(tree, html, elements, deep=True, too_deep=True, flattened=nesting)
    elements, depth, _ = _measure(flat_tree)
    return Page(flat_tree, flat, elements, deep=True, too_deep=depth >= MAX_DEPTH, flattened=nesting)


def _parse(html: str) -> tuple[lxml.html.HtmlElement | None, str]:
    if not html.strip():
        return None, "the page is empty"
    try:
        # Bytes with the encoding given: a declaration in the page (<?xml encoding=...?>,
        # <meta charset>) names the bytes it was read from, not these.
        tree = lxml.html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (ValueError, etree.LxmlError) as error:
        return None, f"{type(error).__name__}: {error}"
    return tree, ""


def _measure(tree: lxml.html.HtmlElement) -> tuple[int, int, lxml.html.HtmlElement]:
    """The number of elements, the depth of the deepest, and that element (no recursion: pages nest 2,000 deep)."""
    elements, depth, deepest = 0, 0, tree
    stack = [(tree, 1)]
    while stack:
        element, level = stack.pop()
        elements += 1
        if level > depth:
            depth, deepest = level, element
        stack.extend((child, level + 1) for child in element)
    return elements, depth, deepest


# As trafilatura parses (`trafilatura.utils.HTML_PARSER`), and as deep as libxml2 goes.
_PARSER = lxml.html.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
)


def context_lines(tree: lxml.html.HtmlElement, main_text: str) -> tuple[list[str], list[str]]:
    """The page's visible lines just before and just after its main text.

    ``tree`` is the page as `read_page` parsed it, the tree trafilatura read:
    a page deeper than libxml2's default, or one that opens with an XML
    declaration (which lxml refuses in a string), has the lines trafilatura saw.

    >>> page = read_page("<p>2020-01-05 来源：新华网</p><p>正文第一段。</p><p>正文第二段。</p><p>责任编辑：王明</p>")
    >>> context_lines(page.tree, "正文第一段。\\n正文第二段。")
    (['2020-01-05 来源：新华网'], ['责任编辑：王明'])
    """
    lines = visible_lines(tree)
    paragraphs = [p for p in main_text.split("\n") if p.strip()]
    first, last = _key(paragraphs[0]), _key(paragraphs[-1])
    # Keys as far as the search needs them (the header is near the top, the footer near the bottom):
    # the whole page's were a tenth of an HTML page's cost.
    keys: dict[int, str] = {}

    def holds(i: int, part: str) -> bool:
        if i not in keys:
            keys[i] = _key(lines[i])
        return bool(part) and part in keys[i]

    start = next((i for i in range(len(lines)) if holds(i, first)), None)
    end = next((i for i in range(len(lines) - 1, -1, -1) if holds(i, last)), None)
    if start is None or end is None or end < start:
        return lines[:CONTEXT_LINES], []
    return lines[max(0, start - CONTEXT_LINES) : start], lines[end + 1 : end + 1 + CONTEXT_LINES]


def visible_lines(tree: lxml.html.HtmlElement) -> list[str]:
    """The text a browser shows of a parsed page, one line per block element (scripts and styles left out).

    A copy is marked up: ``tree`` stays as it was parsed (trafilatura, for its
    part, extracts from a copy of the tree it is given).
    """
    root = copy.deepcopy(tree)
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
        if element.tag != "br":
            element.text = "\n" + (element.text or "")
    for element in root.iter("script", "style", "noscript", "template"):
        element.text = None
    text = root.text_content() if hasattr(root, "text_content") else ""
    return [line for line in (_SPACE.sub(" ", raw).strip() for raw in text.split("\n")) if line]


@functools.lru_cache(maxsize=2)
def _extractor(fast: bool) -> Any:
    """trafilatura's options for a page, built once a process (building them was a twentieth of an extraction).

    Dates only from the page's metadata: a date trafilatura guesses from the
    text (a copyright year read as 1 January) is worse than the dates the
    extract stage finds in the text itself.
    """
    from trafilatura.settings import Extractor

    return Extractor(
        output_format="python",
        fast=fast,
        comments=False,
        tables=False,
        images=False,
        dedup=False,
        with_metadata=True,
        date_params={"extensive_search": False, "original_date": True},
    )


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
