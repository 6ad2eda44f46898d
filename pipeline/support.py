"""Template support: in how many articles each line template stands at the top, at the bottom and inside a body, and what is learned from it.

`TemplateCounts` adds up the pages `boilerplate.page_templates` describes,
batch by batch, per corpus and per source; `support_of` adds this run's
counts to the support earlier runs kept with the output. `learn` keeps the
templates seen at one edge of at least ``boilerplate_min_pages`` different
articles and almost never elsewhere; `Learned` answers, for a page, which
templates are learned boilerplate at its top and at its bottom. On a Dask
cluster the rows are counted there instead (`pipeline.shuffle_support`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.boilerplate import BOTTOM, INSIDE, TOP
from pipeline.schema import TEMPLATES

# Of the articles a learned template stands in, at most this share may have it
# inside the body.
MAX_INNER_SHARE = 0.1
# A template is kept with the output (and can be learned) once it stands at one
# edge of this many articles: ``boilerplate_min_pages`` is at least this.
KEPT_MIN_EDGE = 2
ROW = np.dtype([("scope", np.int32), ("template", np.uint64), ("where", np.uint8), ("key", np.uint64)])


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
        kept = can_be_kept(top, bottom)
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
        key = _template_key(rows["scope"], rows["template"]) ^ rows["where"].astype(np.uint64)
        if with_article:
            key ^= rows["key"] * np.uint64(0x165667B19E3779F9)
    return key


def _template_key(scope: np.ndarray, template: np.ndarray) -> np.ndarray:
    """One uint64 per (scope, template), as `_row_key`."""
    with np.errstate(over="ignore"):
        return template.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ scope.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)


def can_be_kept(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Which templates stand at an edge of ``KEPT_MIN_EDGE`` articles or more (no other can be learned)."""
    return np.maximum(top, bottom) >= KEPT_MIN_EDGE


def kept_support(support: pa.Table) -> pa.Table:
    """The support worth keeping with the output: templates seen at an edge of two articles or more."""
    return support.filter(pa.array(can_be_kept(support.column("top").to_numpy(), support.column("bottom").to_numpy())))


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
