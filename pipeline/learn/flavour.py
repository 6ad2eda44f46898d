"""The flavours of a site: which of its furniture lines only a part of its pages prints, and how many articles that part has.

A folder of reposts mixes several portals; one site changes its template over
the years. A line that only one flavour prints stands on a small share of
the whole site but a large share of its flavour: `flavours` finds, for
each template, the articles of the flavour it belongs to, from the furniture
lines that stand beside it on the same pages far more often than chance.

It works on numpy arrays, a slice of the edge rows at a time: at a million
pages there are tens of millions of edge rows and tens of millions of pairs
of a template and a furniture line on the same page. Arrow joins of them all
held 11 GiB, and joined a chunk at a time still hashed every furniture line's
articles for each chunk; only the furniture lines of each article are held
whole here, and the pairs are counted ``PAIRS_PER_CHUNK`` at a time.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.learn.shares import (
    FLAVOUR_EVIDENCE,
    FLAVOUR_LIFT,
    FLAVOUR_SHARE,
    FURNITURE_SHARE,
    KEPT_MIN_EDGE,
    can_be_kept,
    template_key,
)

# Pairs of a template and a furniture line beside it counted at once (about 64 bytes each).
PAIRS_PER_CHUNK = 1 << 20

# Edge rows as (scope id, template hash, article key) arrays: every row of a template in the same slice.
EdgeSlices = Callable[[], Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]]

_SCOPE_MIX = np.uint64(0xC2B2AE3D27D4EB4F)


def flavour_pages(rows: pa.Table, counted: pa.Table, min_pages: int) -> pa.Array:
    """`flavours` of edge rows held as a table: (scope, template_hash, article_key), scope by name or by id as ``counted``'s."""
    scope = counted.column("scope")
    if pa.types.is_integer(scope.type):
        scope_ids = scope.to_numpy().astype(np.int64)
        row_scopes = rows.column("scope").to_numpy().astype(np.int64)
    else:
        names = pc.unique(scope)
        scope_ids = pc.index_in(scope, value_set=names).to_numpy(zero_copy_only=False).astype(np.int64)
        row_scopes = pc.fill_null(pc.index_in(rows.column("scope"), value_set=names), -1)
        row_scopes = row_scopes.to_numpy(zero_copy_only=False).astype(np.int64)
    edge = (row_scopes, rows.column("template_hash").to_numpy(), rows.column("article_key").to_numpy())
    return pa.array(flavours(counted, scope_ids, lambda: [edge], min_pages), pa.int64())


def flavours(counted: pa.Table, scope_ids: np.ndarray, edge_slices: EdgeSlices, min_pages: int) -> np.ndarray:
    """For each row of ``counted``, the articles of the flavour of its site the template belongs to (see ``FLAVOUR_SHARE``).

    ``scope_ids``: each counted row's site as a small int, as the edge rows
    name it; ``edge_slices()`` gives the rows of page edges (distinct or not)
    in slices that each hold all the rows of their templates, and is called
    twice. A flavour is marked by a line at one edge of ``FURNITURE_SHARE``
    of its site; the template's flavour is the smallest such line that stands
    beside it on ``FLAVOUR_SHARE`` of its articles (``FLAVOUR_LIFT`` times as
    often as on the site's pages, and far more often than chance:
    ``FLAVOUR_EVIDENCE``), or the whole site. Only the templates at an edge
    of ``min_pages`` articles are looked at: no other can be learned.

    An article is its key mixed with its site's id: two articles of two
    sites share one with a chance of about n²/2⁶⁴, as `support._row_key`'s rows do.
    """
    pages = counted.column("pages").to_numpy().astype(np.int64)
    edge = np.maximum(counted.column("top").to_numpy(), counted.column("bottom").to_numpy())
    is_marker = can_be_kept(edge, edge) & (edge >= FURNITURE_SHARE * pages)
    is_candidate = edge >= max(min_pages, KEPT_MIN_EDGE)
    if not is_marker.any() or not is_candidate.any():
        return pages
    lookup = _Lookup(scope_ids, counted.column("template_hash").to_numpy())
    markers = _Markers([_entries(lookup, rows, is_marker) for rows in edge_slices()], counted.num_rows)
    site = np.zeros(int(scope_ids.max()) + 1, np.int64)
    np.maximum.at(site, scope_ids, pages)
    smallest = np.full(counted.num_rows, np.iinfo(np.int64).max)
    for rows in edge_slices():
        template, article = _entries(lookup, rows, is_candidate)
        _strongest(template, article, markers, site[scope_ids], smallest)
    return np.minimum(pages, smallest)


class _Lookup:
    """The row of ``counted`` of each edge row's (scope, template), or -1: exact, a 64-bit key checked against both."""

    def __init__(self, scopes: np.ndarray, templates: np.ndarray) -> None:
        self.scopes, self.templates = scopes, templates.astype(np.uint64)
        keys = template_key(scopes, self.templates)
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]

    def rows(self, scopes: np.ndarray, templates: np.ndarray) -> np.ndarray:
        keys = template_key(scopes, templates)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        row = self.order[at]
        # Two (scope, template) of the counted rows with one key: the second is found by a scan.
        found = (self.scopes[row] == scopes) & (self.templates[row] == templates)
        missed = np.flatnonzero(~found & (self.keys[at] == keys))
        for i in missed:
            same = np.flatnonzero((self.scopes == scopes[i]) & (self.templates == templates[i]))
            if len(same):
                row[i], found[i] = same[0], True
        return np.where(found, row, -1)


def _entries(lookup: _Lookup, rows: tuple[np.ndarray, np.ndarray, np.ndarray], wanted: np.ndarray):
    """(counted row, article) of the ``wanted`` counted rows among edge rows, distinct, ordered by counted row."""
    scopes, templates, articles = rows
    row = lookup.rows(scopes, templates.astype(np.uint64))
    keep = row >= 0
    keep[keep] = wanted[row[keep]]
    row, article = row[keep], _article_key(scopes[keep], articles[keep].astype(np.uint64))
    order = np.lexsort((article, row))
    row, article = row[order], article[order]
    distinct = np.r_[True, (row[1:] != row[:-1]) | (article[1:] != article[:-1])] if len(row) else np.zeros(0, bool)
    return row[distinct].astype(np.int32), article[distinct]


class _Markers:
    """The furniture lines of each article (counted rows), and each line's articles."""

    def __init__(self, entries: list[tuple[np.ndarray, np.ndarray]], counted_rows: int) -> None:
        rows = np.concatenate([row for row, _ in entries]) if entries else np.empty(0, np.int32)
        articles = np.concatenate([article for _, article in entries]) if entries else np.empty(0, np.uint64)
        entries.clear()
        self.articles_of = np.bincount(rows, minlength=counted_rows)
        # Each slice's entries are distinct, and the slices hold different templates: sorted by article only.
        order = np.argsort(articles, kind="stable")
        self.rows, sorted_articles = rows[order], articles[order]
        first = np.flatnonzero(np.r_[True, sorted_articles[1:] != sorted_articles[:-1]]) if len(order) else order
        self.articles = sorted_articles[first]
        self.starts = np.r_[first, len(order)]

    def of(self, articles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each article's lines start in ``rows``, and how many there are (0: an article with none)."""
        if not len(self.articles):
            return np.zeros(len(articles), np.int64), np.zeros(len(articles), np.int64)
        at = np.minimum(np.searchsorted(self.articles, articles), len(self.articles) - 1)
        held = self.articles[at] == articles
        return self.starts[at], np.where(held, self.starts[at + 1] - self.starts[at], 0)


def _strongest(template: np.ndarray, article: np.ndarray, markers: _Markers, site: np.ndarray, smallest: np.ndarray):
    """Lower ``smallest`` of each template (distinct (template, article) entries, all of a template's together) to the
    articles of each furniture line that marks its flavour: the line stands beside it far more often than chance."""
    trials = np.bincount(template, minlength=len(smallest))
    starts, counts = markers.of(article)
    ends = np.flatnonzero(np.r_[template[1:] != template[:-1], True]) + 1 if len(template) else np.zeros(0, np.int64)
    total = np.cumsum(counts)
    start = 0
    while start < len(template):
        # Whole templates, about PAIRS_PER_CHUNK pairs: each chunk's counts are final.
        reach = np.searchsorted(total, (total[start - 1] if start else 0) + PAIRS_PER_CHUNK, side="right")
        end = int(ends[np.searchsorted(ends, max(reach, start + 1))])
        chunk = counts[start:end]
        owner = np.repeat(np.arange(start, end), chunk)
        step = np.arange(len(owner)) - np.repeat(np.cumsum(chunk) - chunk, chunk)
        marker, beside = markers.rows[starts[owner] + step].astype(np.int64), template[owner].astype(np.int64)
        other = marker != beside
        pair, hits = np.unique(beside[other] * len(smallest) + marker[other], return_counts=True)
        of, marker = np.divmod(pair, len(smallest))
        chance = markers.articles_of[marker] / np.maximum(site[of], 1)
        strong = (
            (hits >= FLAVOUR_SHARE * trials[of])
            & (hits >= FLAVOUR_LIFT * chance * trials[of])
            & (surprise(hits, trials[of], chance) >= FLAVOUR_EVIDENCE)
        )
        np.minimum.at(smallest, of[strong], markers.articles_of[marker[strong]])
        start = end


def _article_key(scopes: np.ndarray, articles: np.ndarray) -> np.ndarray:
    """An article of one site as one uint64 (the key itself where every row is of one site).

    >>> _article_key(np.array([0, 0]), np.array([5, 7], np.uint64)).tolist()
    [5, 7]
    """
    with np.errstate(over="ignore"):
        return articles ^ scopes.astype(np.uint64) * _SCOPE_MIX


def surprise(hits: np.ndarray, trials: np.ndarray, chance: np.ndarray) -> np.ndarray:
    """How unlikely ``hits`` of ``trials`` are when each hits with probability ``chance``: -ln of Chernoff's bound on the tail, in nats.

    >>> [round(float(x), 1) for x in surprise(np.array([5, 20, 2]), np.array([5, 20, 10]), np.array([1 / 3, 1 / 3, 1 / 3]))]
    [5.5, 22.0, 0.0]
    """
    rate = hits / np.maximum(trials, 1)
    p = np.clip(chance, 1e-9, 1 - 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.where(rate > 0, rate * np.log(rate / p), 0.0) + np.where(
            rate < 1, (1 - rate) * np.log((1 - rate) / (1 - p)), 0.0
        )
    return np.where(rate > p, trials * kl, 0.0)
