"""Boilerplate learned from the corpus: lines that recur at the same edge of many pages.

No table lists every site's footer. A line whose *template* (the line with
its dates, numbers and ``label: value`` values masked) stands at the top or
the bottom of many different articles is page furniture, whatever its words:
``[责任编辑: <v>]``, ``<date> 来源:<v> 【字号 大 中 小】``, a site's
disclaimer paragraph. A sentence that recurs *inside* bodies (a slogan quoted
in many articles) is not: it stands at varying places, with body paragraphs
above and below it.

`page_templates` describes one page: for each line, its template, where it
stands (top edge, bottom edge, or inside the body) and a key of the article
around it, so that twenty reposts of one story count as one article, not as
twenty pages that share a closing line. `TemplateCounts` adds pages up,
batch by batch, per corpus and per source. `learn` keeps the templates seen
at one edge of at least ``boilerplate_min_pages`` different articles and
almost never elsewhere; `Learned` answers, for a page, which of its edge
lines are learned boilerplate.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from pipeline.dates import find_dates
from pipeline.nfkc import nfkc
from pipeline.schema import TEMPLATES

# A line "inside the body" has more than this many prose lines on each side.
EDGE_DEPTH = 1
# Lines longer than this are templated without their labels and book titles
# masked (a disclaimer paragraph, a body paragraph), and give no pieces.
MAX_INNER_CHARS = 120
# Of the articles a learned template stands in, at most this share may have it
# inside the body.
MAX_INNER_SHARE = 0.1
TOP, BOTTOM, BOTH, INSIDE = 1, 2, 3, 0
# A sentence ends in one of these marks, perhaps inside closing quotes (and
# a quote may end in an ellipsis: ……” closes many a quoted opening); a
# headline may end in …, a colon or a quote.
_SENTENCE_END = re.compile(r"(?:[。！？!?.]|(?:…|\.\.\.)(?=[”’」』\"')）]))[”’」』\"')）]*$")

_DIGITS = re.compile(r"\d+")
_DIGIT = re.compile(r"\d")
# The name inside book-title marks varies (《人民日报》, 《人民日报海外版》): masked like a value.
_TITLE_MARKS = re.compile(r"《[^《》]{1,20}》")
_LABEL_VALUE = re.compile(r"([^\s:：|｜【】\[\]（）()]{1,8}[:：])\s*[^|｜【】\[\]（）():：]{1,12}?(?=\s*(?:$|[|｜【】\[\]（）()]|\s\S{1,8}[:：]))")
# Where a furniture line joins pieces: wide or double spaces, pipes, before a
# "label:", between bracketed items. A piece one page prints on its own line
# (字体：【大 中 小】) another joins to its dateline; both count for it.
_PIECE_BREAK = re.compile(r"\s{2,}|\u3000+|[|｜]|\s(?=[^\s\d:：][^\s:：]{0,7}[:：])|(?<=[】\]])\s*(?=[【\[])")
_FOOTER_LABEL = re.compile(r"([^\s\d:：|｜]{1,8}[:：])\s*\S")
ROW = np.dtype([("scope", np.int32), ("template", np.uint64), ("where", np.uint8), ("key", np.uint64)])


def is_prose(line: str) -> bool:
    """A body-like line: a sentence of some length, or simply long.

    >>> is_prose("北京市委政法委发挥统筹协调作用，组织各区同步部署开展试点工作。"), is_prose("责任编辑：王明")
    (True, False)
    """
    text = line.strip()
    # Spaces are not counted: normalising punctuation turns "： " into "：", and a
    # line must not change sides when it is cleaned a second time.
    size = len(text) - text.count(" ")
    return (size >= 25 and _SENTENCE_END.search(text[-8:]) is not None) or size > 80


@functools.lru_cache(maxsize=1 << 16)
def template(line: str) -> str:
    """The line with what varies from page to page masked: dates, ``label: value`` values, numbers.

    >>> template("[责任编辑: 邓丽娟 ]"), template("2020-09-08 15:32:11  来源:新华网  【字号 大 中 小】")
    ('[责任编辑:<v> ]', '<date> 来源:<v> 【字号 大 中 小】')
    >>> template("浏览次数：5445"), template("本网站所刊载信息，不代表中新社和中新网观点。")
    ('浏览次数:<v>', '本网站所刊载信息,不代表中新社和中新网观点。')

    A line longer than ``MAX_INNER_CHARS`` (a paragraph: every one of a page
    is templated) has its numbers masked only, its dates with them.
    """
    # Runs of spaces as one (str.split knows the same spaces as the \s of re, at a quarter of the cost on a paragraph).
    text = " ".join(nfkc(line).split())
    if len(text) <= MAX_INNER_CHARS:
        for found in reversed(find_dates(text)):
            text = text[: found.start] + "<date>" + text[found.end :]
        # Cheap tests first: most lines hold no title marks and no label.
        if "《" in text:
            text = _TITLE_MARKS.sub("《<v>》", text)
        if ":" in text:
            text = _LABEL_VALUE.sub(lambda m: m.group(1) + "<v>", text)
    return _DIGITS.sub("0", text) if _DIGIT.search(text) else text


def template_hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(template(text).encode("utf-8"))


def footer_template(line: str) -> str | None:
    """A labelled footer line with its whole value masked, however long (上一篇：<title>, 相关个股：<list>).

    Only under a body: at the top, ``<name>：<quote>`` is how many headlines read.

    >>> footer_template("上一篇：汪洋出席宗教团体座谈会并讲话"), footer_template("他说：我们会继续努力，把这件事做好。")
    ('上一篇:<v>', None)
    """
    text = nfkc(line).strip()
    match = _FOOTER_LABEL.match(text)
    # A sentence (他说：……。) is a body's last line, not a labelled link.
    # A link cut short (上一篇：新年开训，我在站……) is no sentence.
    sentence = _SENTENCE_END.search(text.rstrip(".…")[-8:]) is not None and not text.endswith(("...", "…"))
    return None if match is None or len(text) > MAX_INNER_CHARS or sentence else match.group(1) + "<v>"


def _footer_hash(line: str) -> int | None:
    entry = _footer_entry(line)
    return None if entry is None else entry[0]


def pieces(line: str) -> list[str]:
    """The pieces a furniture line joins, when it joins two or more (prose lines are not split).

    >>> pieces("发布时间：2020-11-30 10:35  来源：成都市人民政府 字体：【大 中 小】")
    ['发布时间：2020-11-30 10:35', '来源：成都市人民政府', '字体：【大 中 小】']
    >>> pieces("【打印本页】【关闭窗口】"), pieces("字体：【大 中 小】")
    (['【打印本页】', '【关闭窗口】'], [])
    """
    if len(line) > MAX_INNER_CHARS or is_prose(line):
        return []
    parts = [part.strip() for part in _PIECE_BREAK.split(line.strip()) if part and part.strip()]
    return parts if len(parts) >= 2 else []


def is_learned(line: str, learned: frozenset[int], footer: bool = False, known: dict[str, int] | None = None) -> bool:
    """Whether a line is learned furniture: its template is learned, or the template of every piece it joins.

    ``known`` maps lines to their `template_hash`, where the reading pass computed it already.

    >>> learned = frozenset({template_hash("字体：【大 中 小】"), template_hash("来源：新华网")})
    >>> is_learned("来源：人民网", learned), is_learned("来源：人民网  字体：【大 中 小】", learned)
    (True, True)
    >>> is_learned("来源：人民网  作者：张三", learned)
    False
    """
    if not learned:
        return False
    hashed = known.get(line) if known else None
    if (template_hash(line) if hashed is None else hashed) in learned or (footer and _footer_hash(line) in learned):
        return True
    parts = pieces(line)
    return bool(parts) and all(template_hash(part) in learned for part in parts)


def positions(lines: list[str], prose: list[bool] | None = None) -> list[int]:
    """Where each line stands: TOP, BOTTOM, BOTH (a short page) or INSIDE the body (``prose``: `is_prose` of each line)."""
    prose = [is_prose(line) for line in lines] if prose is None else prose
    above, below = [], []
    count = 0
    for flag in prose:
        above.append(count)
        count += flag
    for flag in prose:
        count -= flag
        below.append(count)
    return [(TOP if a <= EDGE_DEPTH else 0) | (BOTTOM if b <= EDGE_DEPTH else 0) for a, b in zip(above, below)]


def _hashed(text: str) -> tuple[int, str]:
    return xxhash.xxh3_64_intdigest(text.encode("utf-8")), text


@functools.lru_cache(maxsize=1 << 16)
def _line_templates(line: str, prose: bool) -> tuple[tuple[int, str], ...]:
    """(hash, template) of a line and of each piece it joins (a furniture line recurs on page after page: once each)."""
    parts = [] if prose or len(line) > MAX_INNER_CHARS else pieces(line)
    return tuple(_hashed(template(part)) for part in [line, *parts])


@functools.lru_cache(maxsize=1 << 16)
def _footer_entry(line: str) -> tuple[int, str] | None:
    text = footer_template(line)
    return None if text is None else _hashed(text)


def page_templates(lines: list[str], known: dict[str, int] | None = None) -> tuple[set[tuple[int, int, int]], dict[int, str]]:
    """The (template hash, position, article key) of the lines of one page worth counting, and the edge templates.

    A furniture line counts for its own template and for the pieces it joins.

    The article key is the smallest template hash of the page's inner prose
    lines other than the line itself: copies of one article share it,
    different articles do not. A line that recurs on the page counts once.
    ``known`` gets the `template_hash` of its edge lines (the ones the ``extract`` stage asks about).
    """
    prose = [is_prose(line) for line in lines]
    # Every line counts, the long ones inside bodies too: a paragraph that opens
    # some articles and stands inside many others is body text, however long.
    templates = [_line_templates(line, flag) for line, flag in zip(lines, prose)]
    at = [i for i, flag in enumerate(prose) if flag]
    # The key comes from the body's inner paragraphs: a disclaimer or credit
    # paragraph at the first or last place is the same on every page of a site.
    inner = at[1:-1] if len(at) >= 3 else at
    smallest = sorted((templates[i][0][0], i) for i in inner)[:2]
    first_key, first_line = smallest[0] if smallest else (0, -1)
    second_key = smallest[1][0] if len(smallest) > 1 else 0
    rows: set[tuple[int, int, int]] = set()
    texts: dict[int, str] = {}
    for i, where in enumerate(positions(lines, prose)):
        line = lines[i]
        key = second_key if i == first_line else first_key
        found = templates[i]
        if known is not None and where != INSIDE:
            known[line] = found[0][0]
        if where == BOTTOM and (footer := _footer_entry(line)) is not None:
            found = (*found, footer)
        for h, text in found:
            rows.add((h, where, key))
            if where != INSIDE:
                texts.setdefault(h, text)
    return rows, texts


def scope_of(source_path: str, publication: str | None, source_line: int | None) -> str | None:
    """The source a page's support is also counted in: its JSONL record's source, or its sub-folder.

    >>> scope_of("xinhua/0001.txt", None, None), scope_of("feed.jsonl", "人民网", 3), scope_of("page.txt", None, None)
    ('xinhua', '人民网', None)
    """
    if source_line is not None and publication:
        return publication
    head, _, rest = source_path.partition("/")
    return head if rest and head not in ("", "..") else None


@dataclass
class TemplateCounts:
    """Template occurrences of many pages, per scope: "" is the whole corpus.

    Rows are kept as one numpy array, folded to one row per (scope, template,
    position, article) as they come, so memory grows with distinct lines,
    not with pages.
    """

    scopes: dict[str, int] = field(default_factory=lambda: {"": 0})
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, ROW))
    texts: dict[int, str] = field(default_factory=dict)
    pending: list[np.ndarray] = field(default_factory=list)
    page_rows: list[tuple[int, int, int, int]] = field(default_factory=list)

    def add_page(self, scope: str | None, templates: tuple[set[tuple[int, int, int]], dict[int, str]]) -> None:
        rows, texts = templates
        for h, text in texts.items():
            self.texts.setdefault(h, text[:200])
        self.page_rows.extend((0, h, where, key) for h, where, key in rows)
        if scope is not None:
            at = self.scopes.setdefault(scope, len(self.scopes))
            self.page_rows.extend((at, h, where, key) for h, where, key in rows)

    def merge(self, other: TemplateCounts) -> None:
        """Add another batch's counts (its scope ids are renumbered into ours)."""
        if not len(other.rows) and not other.pending and not other.page_rows:
            return
        other.fold()
        remap = np.array([self.scopes.setdefault(name, len(self.scopes)) for name in sorted(other.scopes, key=other.scopes.get)], np.int32)
        rows = other.rows.copy()
        rows["scope"] = remap[rows["scope"]]
        self.pending.append(rows)
        for h, text in other.texts.items():
            self.texts.setdefault(h, text)
        if sum(len(p) for p in self.pending) > 1_000_000:
            self.fold()

    def fold(self) -> None:
        if self.page_rows:
            # One array for many pages: an array per page cost more than the rows in it.
            self.pending.append(np.array(self.page_rows, dtype=ROW))
            self.page_rows = []
        if self.pending:
            rows = np.concatenate([self.rows, *self.pending])
            _, first = np.unique(_row_key(rows, with_article=True), return_index=True)
            self.rows = rows[first]
            self.pending = []

    def counted(self, earlier: pa.Table | None = None) -> pa.Table:
        """Articles per (scope, template) at the top, at the bottom and inside a body: the columns `support_of` adds up.

        Only the templates that can be kept come back: at an edge of two
        articles or more, or in the ``earlier`` support (their counts add up).
        A million pages have millions of distinct lines (every title, every
        paragraph) and a few thousand such templates: they are found in numpy,
        no Python object or Arrow string per line.
        """
        self.fold()
        _, first, counts = np.unique(_row_key(self.rows, with_article=False), return_index=True, return_counts=True)
        keys = self.rows[first]
        where = keys["where"]
        # A template's rows differ in position only: summed per (scope, template).
        _, heads, group = np.unique(_template_key(keys["scope"], keys["template"]), return_index=True, return_inverse=True)

        def summed(at: np.ndarray) -> np.ndarray:
            return np.bincount(group, weights=np.where(at, counts, 0), minlength=len(heads)).astype(np.int64)

        top, bottom, inside = summed(where & TOP), summed(where & BOTTOM), summed(where == INSIDE)
        scopes, templates = keys["scope"][heads], keys["template"][heads]
        kept = np.maximum(top, bottom) >= 2
        if earlier is not None and earlier.num_rows:
            ids = np.array([self.scopes.get(name, -1) for name in earlier.column("scope").to_pylist()], np.int32)
            kept |= np.isin(_template_key(scopes, templates), _template_key(ids, earlier.column("template_hash").to_numpy()))
        return pa.table(
            {
                "scope": self._scope_column(scopes[kept]),
                "template_hash": pa.array(templates[kept], pa.uint64()),
                "top": pa.array(top[kept], pa.int64()),
                "bottom": pa.array(bottom[kept], pa.int64()),
                "inside": pa.array(inside[kept], pa.int64()),
            }
        )

    def staged_rows(self) -> pa.Table:
        """The rows themselves (scope by name), for a run whose support is counted on a cluster."""
        self.fold()
        return pa.table({
            "scope": self._scope_column(self.rows["scope"]),
            "template_hash": pa.array(self.rows["template"], pa.uint64()),
            "where": pa.array(self.rows["where"], pa.uint8()),
            "key": pa.array(self.rows["key"], pa.uint64()),
        })

    def _scope_column(self, ids: np.ndarray) -> pa.Array:
        """Scope ids as their names, an Arrow string column."""
        names = pa.array([name for name, _ in sorted(self.scopes.items(), key=lambda item: item[1])], pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(ids, pa.int32()), names).cast(pa.string())

    def support(self, earlier: pa.Table | None = None, texts_of: Callable[[pa.Array], pa.Table] | None = None) -> pa.Table:
        """Articles with each template at the top, at the bottom and inside a body, per scope (`schema.TEMPLATES`).

        See `support_of`; without ``texts_of`` the texts come from these counts.
        """
        return support_of(self.counted(earlier), earlier, texts_of or self._texts_of)

    def _texts_of(self, hashes: pa.Array) -> pa.Table:
        held = pa.table({"template_hash": pa.array(list(self.texts), pa.uint64()), "template": pa.array(list(self.texts.values()), pa.string())})
        return held.filter(pc.is_in(held.column("template_hash"), value_set=hashes))


def support_of(counted: pa.Table, earlier: pa.Table | None, texts_of: Callable[[pa.Array], pa.Table]) -> pa.Table:
    """This run's counts (`TemplateCounts.counted`) added to the support earlier runs left (`schema.TEMPLATES`).

    ``earlier``: counts add up (an article seen in two runs counts twice, which
    only ever happens to a changed file). Only templates at an edge of two
    articles or more are kept (`kept_support`): no other can be learned
    (``boilerplate_min_pages`` is at least 2) or is kept with the output.
    ``texts_of`` gives (template_hash, template) rows for an array of template
    hashes (a run's batches stage them: `staging.template_texts`). The texts
    are joined in Arrow: at a million pages a dict of them cost the driver
    half a GiB.
    """
    table = counted
    if earlier is not None and earlier.num_rows:
        table = pa.concat_tables([earlier.select(table.column_names).cast(table.schema), table])
    table = table.group_by(["scope", "template_hash"]).aggregate([("top", "sum"), ("bottom", "sum"), ("inside", "sum")])
    table = table.rename_columns([name.removesuffix("_sum") for name in table.column_names])
    table = kept_support(table)
    # One text per hash on the right of each join, or a support row would be repeated.
    table = table.join(_one_text_each(texts_of(pc.unique(table.column("template_hash")))), "template_hash", join_type="left outer")
    if earlier is not None and earlier.num_rows:
        # A template this run saw only inside bodies has no staged text: an earlier run's names it.
        known = _one_text_each(earlier.select(["template_hash", "template"])).rename_columns(["template_hash", "known"])
        table = table.join(known, "template_hash", join_type="left outer")
        found = table.column("template")
        found = pc.if_else(pc.equal(pc.fill_null(found, ""), ""), table.column("known"), found)
        table = table.set_column(table.column_names.index("template"), "template", found).drop_columns(["known"])
    table = table.set_column(table.column_names.index("template"), "template", pc.fill_null(table.column("template"), ""))
    return table.select(TEMPLATES.names).cast(TEMPLATES).sort_by([("scope", "ascending"), ("template_hash", "ascending")])


def _one_text_each(texts: pa.Table) -> pa.Table:
    """(template_hash, template) with one row per hash (a template's text is the same wherever it was seen)."""
    texts = texts.select(["template_hash", "template"]).cast(pa.schema([("template_hash", pa.uint64()), ("template", pa.string())]))
    one = texts.group_by("template_hash", use_threads=False).aggregate([("template", "first")])
    return one.rename_columns(["template_hash", "template"])


def _row_key(rows: np.ndarray, with_article: bool) -> np.ndarray:
    """One uint64 per row standing for (scope, template, where[, article]).

    np.unique sorts plain integers many times faster than structured rows. The
    template and article hashes are uniform 64-bit values, so two different
    rows share a key with a chance of about n²/2⁶⁴ (1e-5 at ten million rows),
    and a shared key only merges two counts.
    """
    with np.errstate(over="ignore"):
        key = rows["template"] * np.uint64(0x9E3779B97F4A7C15)
        key ^= rows["scope"].astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F) + rows["where"].astype(np.uint64)
        if with_article:
            key ^= rows["key"] * np.uint64(0x165667B19E3779F9)
    return key


def _template_key(scope: np.ndarray, template: np.ndarray) -> np.ndarray:
    """One uint64 per (scope, template), as `_row_key`."""
    with np.errstate(over="ignore"):
        return template.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ scope.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)


def kept_support(support: pa.Table) -> pa.Table:
    """The support worth keeping with the output: templates seen at an edge of two articles or more."""
    edge = pc.max_element_wise(support.column("top"), support.column("bottom"))
    return support.filter(pc.greater_equal(edge, 2))


@dataclass(frozen=True)
class Learned:
    """The learned templates: per scope ("" the corpus), the hashes learned at the top and at the bottom.

    ``table`` holds them with their support, for the run report.
    """

    top: dict[str, frozenset[int]] = field(default_factory=dict)
    bottom: dict[str, frozenset[int]] = field(default_factory=dict)
    table: pa.Table | None = None

    def for_page(self, scope: str | None) -> tuple[frozenset[int], frozenset[int]]:
        """(top, bottom) hashes that apply to a page of ``scope``."""
        top = self.top.get("", frozenset()) | (self.top.get(scope, frozenset()) if scope else frozenset())
        bottom = self.bottom.get("", frozenset()) | (self.bottom.get(scope, frozenset()) if scope else frozenset())
        return top, bottom

    def __bool__(self) -> bool:
        return bool(self.top or self.bottom)

    def __getstate__(self) -> dict:
        # Workers need the hashes only; the table (with every template's text) is for the report.
        return {**self.__dict__, "table": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


def learn(support: pa.Table, min_pages: int) -> Learned:
    """The templates that stand at one edge of at least ``min_pages`` articles, and seldom inside a body."""
    top_support, bottom_support, inside = (support.column(c).to_numpy() for c in ("top", "bottom", "inside"))

    def learned_at(edge: np.ndarray) -> np.ndarray:
        return (edge >= min_pages) & (inside <= MAX_INNER_SHARE * (edge + inside))

    at_top, at_bottom = learned_at(top_support), learned_at(bottom_support)
    scopes = support.column("scope").to_pylist()
    hashes = support.column("template_hash").to_pylist()
    top: dict[str, set[int]] = {}
    bottom: dict[str, set[int]] = {}
    for row in np.flatnonzero(at_top | at_bottom).tolist():
        if at_top[row]:
            top.setdefault(scopes[row], set()).add(hashes[row])
        if at_bottom[row]:
            bottom.setdefault(scopes[row], set()).add(hashes[row])
    table = support.filter(pa.array(at_top | at_bottom))
    return Learned({k: frozenset(v) for k, v in top.items()}, {k: frozenset(v) for k, v in bottom.items()}, table)
