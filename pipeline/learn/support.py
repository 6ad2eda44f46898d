"""Template support: in how many of its site's articles each line template stands at the top, at the bottom and inside a body, and what is learned from it.

Furniture belongs to a site: it stands at one edge of a large share of that
site's pages. An article's own lines (a credit, an affiliation, a label such
as 核心阅读, the closing sentence of every report on one event) belong to
the article: however many articles share them, they stand on a small share
of any one site's pages. So support is counted per site (`boilerplate.site_of`),
and a template is learned when it stands at one edge of at least
``FURNITURE_SHARE`` of its site's articles *and* of ``boilerplate_min_pages``
articles, and almost never inside a body. A sentence needs far more
(``PROSE_SHARE``): a site's disclaimer is under nearly every page, and a
body paragraph is at an edge of few.

`TemplateCounts` adds up the pages `boilerplate.page_templates` describes,
batch by batch, and the edge rows earlier runs kept (the ``edges`` table),
so that the counts of an incremental output are those of a full rebuild.
`support_of` joins this run's counts with what earlier runs kept. `learn`
picks the furniture; `Learned` answers, for a page, which templates are
learned boilerplate at its top and at its bottom. On a Dask cluster the rows
are counted there instead (`pipeline.learn.shuffle_support`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.clean.boilerplate import BOTH, BOTTOM, INSIDE, PAGE, TOP
from pipeline.core.schema import EDGES, TEMPLATES
from pipeline.learn.flavour import flavours
from pipeline.learn.shares import KEPT_MIN_EDGE, can_be_kept, template_key

ROW = np.dtype([("scope", np.int32), ("template", np.uint64), ("where", np.uint8), ("key", np.uint64)])


# Rows are held in partitions by the low bits of their template hash, about
# this many rows each (their number doubles as rows come), so that folding and counting
# sort one partition at a time (a million pages hold tens of millions of rows)
# and every row of a template is in one partition.
PARTITION_ROWS = 1 << 20
# A partition's new rows are folded in once they are this share of it (or
# ``FOLD_MIN`` rows): the sorting done grows as n log n, not as n² / FOLD_MIN.
FOLD_SHARE, FOLD_MIN = 0.25, 1 << 16


@dataclass
class TemplateCounts:
    """Template occurrences of many pages, per site (scope).

    Rows are kept as numpy arrays, one per partition of the templates
    (``PARTITION_ROWS``), folded to one row per (scope, template, position,
    article) as they come, so memory grows with distinct lines, not with
    pages. A page's own row (template 0, ``PAGE``) counts its site's
    articles.
    """

    scopes: dict[str, int] = field(default_factory=dict)
    parts: list[np.ndarray] = field(default_factory=lambda: [np.empty(0, ROW)])
    texts: dict[int, str] = field(default_factory=dict)
    pending: list[list[np.ndarray]] = field(default_factory=lambda: [[]])
    pending_rows: list[int] = field(default_factory=lambda: [0])
    page_rows: list[tuple[int, int, int, int]] = field(default_factory=list)

    def add_page(self, scope: str, templates: tuple[set[tuple[int, int, int]], dict[int, str]]) -> None:
        rows, texts = templates
        for h, text in texts.items():
            self.texts.setdefault(h, text[:200])
        at = self.scopes.setdefault(scope, len(self.scopes))
        self.page_rows.extend((at, h, where, key) for h, where, key in rows)

    def add_rows(self, rows: pa.Table) -> None:
        """Add rows kept as a table (scope by name, template_hash, where, article_key): the edges earlier runs counted."""
        if not rows.num_rows:
            return
        names = rows.column("scope").combine_chunks().dictionary_encode()
        remap = np.array(
            [self.scopes.setdefault(name, len(self.scopes)) for name in names.dictionary.to_pylist()], np.int32
        )
        array = np.empty(rows.num_rows, ROW)
        array["scope"] = remap[names.indices.to_numpy(zero_copy_only=False)]
        array["template"] = rows.column("template_hash").to_numpy()
        array["where"] = rows.column("where").to_numpy()
        array["key"] = rows.column("article_key").to_numpy()
        self._add(array)

    def merge(self, other: TemplateCounts) -> None:
        """Add another batch's counts (its scope ids are renumbered into ours)."""
        other.fold()
        rows = other.rows()
        if not len(rows):
            return
        remap = np.array(
            [self.scopes.setdefault(name, len(self.scopes)) for name in sorted(other.scopes, key=other.scopes.get)],
            np.int32,
        )
        rows["scope"] = remap[rows["scope"]]
        self._add(rows)
        for h, text in other.texts.items():
            self.texts.setdefault(h, text)

    def rows(self) -> np.ndarray:
        """Every row (a copy), partition by partition."""
        self.fold()
        return np.concatenate(self.parts)

    def fold(self) -> None:
        """Fold every row that came in (a page at a time or by `merge`) into its partition."""
        if self.page_rows:
            # One array for many pages: an array per page cost more than the rows in it.
            rows, self.page_rows = np.array(self.page_rows, dtype=ROW), []
            self._add(rows)
        for at in range(len(self.parts)):
            self._fold(at)

    def _add(self, rows: np.ndarray) -> None:
        count = len(self.parts)
        if count == 1:
            split = [rows]
        else:
            which = rows["template"] & np.uint64(count - 1)
            order = np.argsort(which, kind="stable")
            bounds = np.searchsorted(which[order], np.arange(count + 1, dtype=np.uint64))
            split = [rows[order[start:end]] for start, end in zip(bounds[:-1], bounds[1:])]
        for at, part in enumerate(split):
            if len(part):
                self.pending[at].append(part)
                self.pending_rows[at] += len(part)
                if self.pending_rows[at] >= max(FOLD_MIN, FOLD_SHARE * len(self.parts[at])):
                    self._fold(at)
        # On average: one template's rows (the pages' own, template 0) can outgrow any partition.
        while sum(len(part) for part in self.parts) > PARTITION_ROWS * len(self.parts):
            self._split()

    def _fold(self, at: int) -> None:
        if self.pending[at]:
            rows = np.concatenate([self.parts[at], *self.pending[at]])
            _, first = np.unique(_row_key(rows, with_article=True), return_index=True)
            self.parts[at], self.pending[at], self.pending_rows[at] = rows[first], [], 0

    def _split(self) -> None:
        """Twice as many partitions: each one's rows go to the two whose next bit of the template hash they have."""
        self.fold()
        count = len(self.parts)
        bit = np.uint64(count)
        low = [part[(part["template"] & bit) == 0] for part in self.parts]
        high = [part[(part["template"] & bit) > 0] for part in self.parts]
        self.parts = low + high
        self.pending, self.pending_rows = [[] for _ in self.parts], [0] * len(self.parts)

    def counted(self, min_pages: int = KEPT_MIN_EDGE) -> pa.Table:
        """Articles per (scope, template) at the top, at the bottom and inside a body, the site's articles and the
        template's flavour's: what `support_of` takes.

        Only the templates that can be kept come back: at an edge of two
        articles or more. A million pages have millions of distinct lines
        (every title, every paragraph) and a few thousand such templates: they
        are found in numpy, a partition at a time, no Python object or Arrow string per line.
        ``min_pages``: the templates at an edge of fewer articles cannot be learned, and get no flavour.
        """
        self.fold()
        pages = np.zeros(len(self.scopes), np.int64)
        found = [self._counted(part, pages) for part in self.parts]
        keys, scopes, templates, top, bottom, inside = (np.concatenate(column) for column in zip(*found))
        order = np.argsort(keys, kind="stable")
        table = pa.table(
            {
                "scope": pa.array(scopes[order], pa.int32()),
                "template_hash": pa.array(templates[order], pa.uint64()),
                "top": pa.array(top[order], pa.int64()),
                "bottom": pa.array(bottom[order], pa.int64()),
                "inside": pa.array(inside[order], pa.int64()),
                "pages": pa.array(pages[scopes[order]], pa.int64()),
            }
        )

        def edge_slices():
            for part in self.parts:
                edges = part[(part["where"] & BOTH) > 0]
                yield edges["scope"], edges["template"], edges["key"]

        table = table.append_column(
            "flavour_pages", pa.array(flavours(table, scopes[order].astype(np.int64), edge_slices, min_pages))
        )
        return table.set_column(0, "scope", self._scope_column(scopes[order]))

    @staticmethod
    def _counted(rows: np.ndarray, pages: np.ndarray) -> tuple[np.ndarray, ...]:
        """(key, scope, template, top, bottom, inside) of the templates of one partition that can be kept; its pages'
        rows are added to ``pages`` (per scope)."""
        _, first, counts = np.unique(_row_key(rows, with_article=False), return_index=True, return_counts=True)
        keys = rows[first]
        where = keys["where"]
        # A template's rows differ in position only: summed per (scope, template).
        template_keys, heads, group = np.unique(
            template_key(keys["scope"], keys["template"]), return_index=True, return_inverse=True
        )

        def summed(at: np.ndarray) -> np.ndarray:
            return np.bincount(group, weights=np.where(at, counts, 0), minlength=len(heads)).astype(np.int64)

        top, bottom, inside = summed((where & TOP) > 0), summed((where & BOTTOM) > 0), summed(where == INSIDE)
        scopes, templates = keys["scope"][heads], keys["template"][heads]
        page_rows = where[heads] == PAGE
        np.add.at(
            pages,
            scopes[page_rows],
            np.bincount(group, weights=counts, minlength=len(heads)).astype(np.int64)[page_rows],
        )
        kept = can_be_kept(top, bottom) & ~page_rows
        return template_keys[kept], scopes[kept], templates[kept], top[kept], bottom[kept], inside[kept]

    def staged_rows(self) -> pa.Table:
        """The rows themselves (scope by name), for a run whose support is counted on a cluster."""
        rows = self.rows()
        return pa.table(
            {
                "scope": self._scope_column(rows["scope"]),
                "template_hash": pa.array(rows["template"], pa.uint64()),
                "where": pa.array(rows["where"], pa.uint8()),
                "article_key": pa.array(rows["key"], pa.uint64()),
            }
        )

    def _scope_column(self, ids: np.ndarray) -> pa.Array:
        """Scope ids as their names, an Arrow string column."""
        names = pa.array([name for name, _ in sorted(self.scopes.items(), key=lambda item: item[1])], pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(ids, pa.int32()), names).cast(pa.string())

    def support(
        self,
        earlier: pa.Table | None = None,
        texts_of: Callable[[pa.Array], pa.Table] | None = None,
        min_pages: int = KEPT_MIN_EDGE,
    ) -> pa.Table:
        """Articles with each template at the top, at the bottom and inside a body, per scope (`schema.TEMPLATES` less ``learned``).

        See `support_of`; without ``texts_of`` the texts come from these counts.
        """
        return support_of(self.counted(min_pages), earlier, texts_of or self._texts_of)

    def _texts_of(self, hashes: pa.Array) -> pa.Table:
        held = pa.table(
            {
                "template_hash": pa.array(list(self.texts), pa.uint64()),
                "template": pa.array(list(self.texts.values()), pa.string()),
            }
        )
        return held.filter(pc.is_in(held.column("template_hash"), value_set=hashes))


class EdgeRows:
    """The rows of each page's edges as pages are read (`schema.EDGES`): what the output keeps for later runs to count."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.scopes: list[str] = []
        self.keys: list[int] = []
        self.templates: list[int] = []
        self.wheres: list[int] = []

    def add(self, source_path: str, scope: str, rows: set[tuple[int, int, int]]) -> None:
        for h, where, key in rows:
            if where != INSIDE:
                self.paths.append(source_path)
                self.scopes.append(scope)
                self.keys.append(key)
                self.templates.append(h)
                self.wheres.append(where)

    def table(self) -> pa.Table:
        return pa.table(
            {
                "source_path": self.paths,
                "scope": self.scopes,
                "article_key": pa.array(self.keys, pa.uint64()),
                "template_hash": pa.array(self.templates, pa.uint64()),
                "where": pa.array(self.wheres, pa.uint8()),
            },
            schema=EDGES,
        )


def support_of(counted: pa.Table, earlier: pa.Table | None, texts_of: Callable[[pa.Array], pa.Table]) -> pa.Table:
    """This run's counts (`TemplateCounts.counted`) with what earlier runs kept (`schema.TEMPLATES` less ``learned``).

    The edge counts and the sites' articles are exact already: the counts
    were made with the edge rows earlier runs kept. Only ``inside`` adds up
    with the earlier support's: the lines inside bodies are too many to keep
    (an article seen in two runs counts twice there, which can only keep a
    template from being learned). ``texts_of`` gives (template_hash, template)
    rows for an array of template hashes (a run's batches stage them:
    `staging.template_texts`); a template this run did not see has its text
    from the earlier support. The texts are joined in Arrow: at a million
    pages a dict of them cost the driver half a GiB.
    """
    table = counted
    if earlier is not None and earlier.num_rows:
        inside = earlier.select(["scope", "template_hash", "inside", "template"]).rename_columns(
            ["scope", "template_hash", "earlier_inside", "known"]
        )
        table = table.join(
            inside.cast(
                pa.schema(
                    [
                        ("scope", pa.string()),
                        ("template_hash", pa.uint64()),
                        ("earlier_inside", pa.int64()),
                        ("known", pa.string()),
                    ]
                )
            ),
            ["scope", "template_hash"],
            join_type="left outer",
        )
        table = table.set_column(
            table.column_names.index("inside"),
            "inside",
            pc.add(table.column("inside"), pc.fill_null(table.column("earlier_inside"), 0)),
        )
    # One text per hash on the right of each join, or a support row would be repeated.
    table = table.join(
        _one_text_each(texts_of(pc.unique(table.column("template_hash")))), "template_hash", join_type="left outer"
    )
    if "known" in table.column_names:
        found = table.column("template")
        found = pc.if_else(pc.equal(pc.fill_null(found, ""), ""), table.column("known"), found)
        table = table.set_column(table.column_names.index("template"), "template", found)
    table = table.set_column(
        table.column_names.index("template"), "template", pc.fill_null(table.column("template"), "")
    )
    schema = pa.schema([f for f in TEMPLATES if f.name != "learned"])
    return table.select(schema.names).cast(schema).sort_by([("scope", "ascending"), ("template_hash", "ascending")])


def _one_text_each(texts: pa.Table) -> pa.Table:
    """(template_hash, template) with one row per hash (a template's text is the same wherever it was seen)."""
    texts = texts.select(["template_hash", "template"]).cast(
        pa.schema([("template_hash", pa.uint64()), ("template", pa.string())])
    )
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
        key = template_key(rows["scope"], rows["template"]) ^ rows["where"].astype(np.uint64)
        if with_article:
            key ^= rows["key"] * np.uint64(0x165667B19E3779F9)
    return key
