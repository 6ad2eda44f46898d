"""The flavours of a site: which of its furniture lines only a part of its pages prints, and how many articles that part has.

A folder of reposts mixes several portals; one site changes its template over
the years. A line that only one flavour prints stands on a small share of
the whole site but a large share of its flavour: `flavour_pages` finds, for
each template, the articles of the flavour it belongs to, from the furniture
lines that stand beside it on the same pages far more often than chance.
"""

from __future__ import annotations

import math

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
)


def flavour_pages(rows: pa.Table, counted: pa.Table, min_pages: int) -> pa.Array:
    """For each row of ``counted``, the articles of the flavour of its site the template belongs to (see ``FLAVOUR_SHARE``).

    ``rows``: (scope, template_hash, article_key) of page edges, distinct or
    not. A flavour is marked by a line at one edge of ``FURNITURE_SHARE`` of
    its site; the template's flavour is the smallest such line that stands
    beside it on ``FLAVOUR_SHARE`` of its articles (``FLAVOUR_LIFT`` times as
    often as on the site's pages, and far more often than chance:
    ``FLAVOUR_EVIDENCE``), or the whole site. Only the templates at
    an edge of ``min_pages`` articles are looked at: no other can be learned.
    """
    pages = counted.column("pages").to_numpy()
    edge = np.maximum(counted.column("top").to_numpy(), counted.column("bottom").to_numpy())
    keys = ["scope", "template_hash"]
    markers = counted.filter(pa.array(can_be_kept(edge, edge) & (edge >= FURNITURE_SHARE * pages))).select(keys)
    candidates = counted.filter(pa.array(edge >= max(min_pages, KEPT_MIN_EDGE))).select(keys)
    if not markers.num_rows or not candidates.num_rows:
        return pa.array(pages, pa.int64())
    rows = rows.select([*keys, "article_key"])
    # The articles of each marker line, and the marker lines of each article.
    marked = _distinct(rows.join(markers, keys, join_type="left semi")).rename_columns(
        ["scope", "marker", "article_key"]
    )
    marker_articles = marked.group_by(["scope", "marker"], use_threads=False).aggregate([("article_key", "count")])
    marker_articles = marker_articles.rename_columns(["scope", "marker", "marker_articles"])
    site = counted.group_by("scope", use_threads=False).aggregate([("pages", "max")]).rename_columns(["scope", "site"])
    # A chunk of the candidate templates at a time, each with all its rows: the pairs of a
    # template and the lines beside it were the run's largest thing when made all at once
    # (11 GiB at a million pages).
    smallest = pa.concat_tables(
        [
            _strongest(_distinct(chunk), marked, marker_articles, site)
            for chunk in _template_chunks(rows.join(candidates, keys, join_type="left semi"))
        ]
    )
    found = (
        counted.select(keys)
        .append_column("row", pa.array(np.arange(counted.num_rows)))
        .join(smallest, keys, join_type="inner")
    )
    flavour = pages.copy()
    at = found.column("row").to_numpy()
    flavour[at] = np.minimum(pages[at], found.column("marker_articles_min").to_numpy())
    return pa.array(flavour, pa.int64())


# Rows of candidate templates whose pairs are counted at once (see `_template_chunks`).
ROWS_PER_CHUNK = 500_000


def _template_chunks(rows: pa.Table) -> list[pa.Table]:
    """``rows`` in chunks of about ``ROWS_PER_CHUNK``, all rows of one template in the same chunk.

    >>> chunks = _template_chunks(pa.table({"template_hash": pa.array([5, 6, 5, 7], pa.uint64())}))
    >>> len(chunks), sum(c.num_rows for c in chunks)
    (1, 4)
    """
    count = 1 << max(0, math.ceil(math.log2(max(1, rows.num_rows) / ROWS_PER_CHUNK)))
    if count == 1:
        return [rows]
    # Template hashes are uniform 64-bit values: their low bits spread the templates evenly.
    part = rows.column("template_hash").to_numpy() & np.uint64(count - 1)
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(count + 1, dtype=np.uint64))
    ordered = rows.take(pa.array(order))
    return [ordered.slice(start, end - start) for start, end in zip(bounds[:-1], bounds[1:])]


def _distinct(rows: pa.Table) -> pa.Table:
    return rows.group_by(rows.column_names, use_threads=False).aggregate([])


def _strongest(rows: pa.Table, marked: pa.Table, marker_articles: pa.Table, site: pa.Table) -> pa.Table:
    """For each template of ``rows`` (distinct edge rows: all of its articles) that belongs to a flavour, the
    articles of the smallest marker line that marks it (scope, template_hash, marker_articles_min)."""
    keys = ["scope", "template_hash"]
    articles = rows.group_by(keys, use_threads=False).aggregate([("article_key", "count")])
    beside = rows.join(marked, ["scope", "article_key"], join_type="inner")
    beside = beside.filter(pc.not_equal(beside.column("template_hash"), beside.column("marker")))
    pairs = beside.group_by([*keys, "marker"], use_threads=False).aggregate([("article_key", "count")])
    pairs = pairs.join(articles.rename_columns([*keys, "articles"]), keys, join_type="inner")
    pairs = pairs.join(marker_articles, ["scope", "marker"], join_type="inner").join(site, "scope", join_type="inner")
    beside_count, articles_count = pairs.column("article_key_count").to_numpy(), pairs.column("articles").to_numpy()
    chance = pairs.column("marker_articles").to_numpy() / np.maximum(pairs.column("site").to_numpy(), 1)
    strong = (
        (beside_count >= FLAVOUR_SHARE * articles_count)
        & (beside_count >= FLAVOUR_LIFT * chance * articles_count)
        & (surprise(beside_count, articles_count, chance) >= FLAVOUR_EVIDENCE)
    )
    return pairs.filter(pa.array(strong)).group_by(keys, use_threads=False).aggregate([("marker_articles", "min")])


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
