"""Boilerplate support counted on a Dask cluster: the driver never holds a row per article.

On one machine the driver adds every batch's template rows up in memory
(`support.TemplateCounts`): a row per (scope, template, position,
article), millions of them for a million pages. On a cluster each batch
stages its rows (`staging.stage_template_rows`); here they become a Dask
DataFrame, made distinct (an article counts once however many batches hold
a copy of it), counted per (scope, template) in partitions, and only the
templates that can matter come back: those at an edge of two articles or
more, with the articles of their site. The edge rows earlier runs kept (the
output's ``edges`` parts) are counted with this run's, as on one machine;
`support.support_of` then finishes exactly as there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.clean.boilerplate import BOTH, BOTTOM, INSIDE, PAGE, TOP
from pipeline.learn.flavour import flavour_pages
from pipeline.learn.shares import can_be_kept
from pipeline.store.layout import read_part

# Template rows per partition of the shuffles.
ROWS_PER_PARTITION = 4_000_000
COLUMNS = ["scope", "template_hash", "where", "article_key"]


def _rows(path: str, leaving: frozenset[str]) -> pd.DataFrame:
    """One part's rows: this run's staged template rows, or an earlier part of ``edges`` less the files that leave."""
    table = read_part(path)
    if "source_path" in table.column_names and leaving:
        table = table.filter(
            pc.invert(pc.is_in(table.column("source_path"), value_set=pa.array(sorted(leaving), pa.string())))
        )
    return table.select(COLUMNS).to_pandas()


def _kept(frame: pd.DataFrame) -> pd.DataFrame:
    """The counts that can be learned: at an edge of two articles or more."""
    return frame[can_be_kept(frame["top"].to_numpy(), frame["bottom"].to_numpy())]


def counted(
    client: Any, parts: Sequence[Path], earlier_edges: Sequence[Path], leaving: Sequence[str], rows: int, min_pages: int
) -> pa.Table:
    """The counts per (scope, template) that can be learned, each site's articles and each template's flavour's (`support.TemplateCounts.counted`'s columns).

    ``parts``: this run's staged template rows; ``earlier_edges``: the
    output's ``edges`` parts, of which the rows of the raw files in
    ``leaving`` (changed) do not count. The flavours (`flavour.flavour_pages`)
    are found on the driver from the edge rows of the templates that can be
    learned, a few per page.
    """
    import dask
    import dask.dataframe as dd

    schema = pa.schema(
        [
            ("scope", pa.string()),
            ("template_hash", pa.uint64()),
            ("top", pa.int64()),
            ("bottom", pa.int64()),
            ("inside", pa.int64()),
            ("pages", pa.int64()),
        ]
    )
    paths = [str(p) for p in [*parts, *earlier_edges]]
    if not paths:
        return schema.empty_table()
    partitions = max(1, -(-rows // ROWS_PER_PARTITION))
    meta = pd.DataFrame(
        {
            "scope": pd.Series(dtype=object),
            "template_hash": pd.Series(dtype="uint64"),
            "where": pd.Series(dtype="uint8"),
            "article_key": pd.Series(dtype="uint64"),
        }
    )
    with dask.config.set({"dataframe.convert-string": False}):
        frame = dd.from_map(_rows, paths, leaving=frozenset(leaving), meta=meta, enforce_metadata=False)
        distinct = frame.drop_duplicates(split_out=partitions)
        flags = distinct.assign(
            top=(distinct["where"] & TOP) > 0,
            bottom=(distinct["where"] & BOTTOM) > 0,
            inside=distinct["where"] == INSIDE,
            page=distinct["where"] == PAGE,
        )
        sums = (
            flags.groupby(["scope", "template_hash"])[["top", "bottom", "inside", "page"]]
            .sum(split_out=partitions)
            .reset_index()
        )
        pages = sums[sums["page"] > 0].groupby("scope")["page"].sum()
        kept = sums.map_partitions(_kept, meta=sums._meta)
        result, sites = client.compute([kept, pages], sync=True)
        result = result.astype({"template_hash": "uint64", "top": "int64", "bottom": "int64", "inside": "int64"})
        result["pages"] = result["scope"].map(sites).fillna(0).astype("int64")
        table = pa.Table.from_pandas(result[schema.names], schema=schema, preserve_index=False)
        learnable = frozenset(table.column("template_hash").to_pylist())
        edges = distinct[((distinct["where"] & BOTH) > 0) & distinct["template_hash"].isin(learnable)]
        rows_at_edges = client.compute(edges[["scope", "template_hash", "article_key"]], sync=True)
    rows_at_edges = pa.Table.from_pandas(
        rows_at_edges.astype({"template_hash": "uint64", "article_key": "uint64"}),
        preserve_index=False,
        schema=pa.schema([("scope", pa.string()), ("template_hash", pa.uint64()), ("article_key", pa.uint64())]),
    )
    return table.append_column("flavour_pages", flavour_pages(rows_at_edges, table, min_pages))
