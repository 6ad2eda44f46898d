"""Boilerplate support counted on a Dask cluster: the driver never holds a row per article.

On one machine the driver adds every batch's template rows up in memory
(`support.TemplateCounts`): a row per (scope, template, position,
article), millions of them for a million pages. On a cluster each batch
stages its rows (`staging.stage_template_rows`); here they become a Dask
DataFrame, made distinct (an article counts once however many batches hold
a copy of it), counted per (scope, template) in partitions, and only the
templates that can matter come back: those at an edge of two articles or
more, and those earlier runs kept (their counts add up). `support.support_of`
then finishes exactly as on one machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.boilerplate import BOTTOM, INSIDE, TOP
from pipeline.store import read_part
from pipeline.support import can_be_kept

# Template rows per partition of the shuffles.
ROWS_PER_PARTITION = 4_000_000


def _rows(path: str) -> pd.DataFrame:
    return read_part(path).to_pandas()


def _possible(frame: pd.DataFrame, earlier: frozenset[tuple[str, int]]) -> pd.DataFrame:
    """The counts that can end up kept: at an edge of two articles or more, or kept by an earlier run."""
    edge = can_be_kept(frame["top"].to_numpy(), frame["bottom"].to_numpy())
    if earlier:
        known = np.array([(scope, int(h)) in earlier for scope, h in zip(frame["scope"], frame["template_hash"])], dtype=bool)
        edge |= known
    return frame[edge]


def counted(client: Any, parts: Sequence[Path], rows: int, earlier: pa.Table | None) -> pa.Table:
    """This run's counts per (scope, template) that can matter (`support.TemplateCounts.counted`'s columns)."""
    import dask
    import dask.dataframe as dd

    schema = pa.schema([("scope", pa.string()), ("template_hash", pa.uint64()), ("top", pa.int64()), ("bottom", pa.int64()),
                        ("inside", pa.int64())])
    if not parts:
        return schema.empty_table()
    partitions = max(1, -(-rows // ROWS_PER_PARTITION))
    earlier_keys = frozenset(zip(earlier.column("scope").to_pylist(), earlier.column("template_hash").to_pylist())) \
        if earlier is not None and earlier.num_rows else frozenset()
    meta = pd.DataFrame({"scope": pd.Series(dtype=object), "template_hash": pd.Series(dtype="uint64"),
                         "where": pd.Series(dtype="uint8"), "key": pd.Series(dtype="uint64")})
    with dask.config.set({"dataframe.convert-string": False}):
        frame = dd.from_map(_rows, [str(p) for p in parts], meta=meta, enforce_metadata=False)
        distinct = frame.drop_duplicates(split_out=partitions)
        flags = distinct.assign(top=(distinct["where"] & TOP) > 0, bottom=(distinct["where"] & BOTTOM) > 0,
                                inside=distinct["where"] == INSIDE)
        sums = flags.groupby(["scope", "template_hash"])[["top", "bottom", "inside"]].sum(split_out=partitions).reset_index()
        kept = sums.map_partitions(_possible, earlier_keys, meta=sums._meta)
        result = client.compute(kept).result()
    result = result.astype({"template_hash": "uint64", "top": "int64", "bottom": "int64", "inside": "int64"})
    return pa.Table.from_pandas(result[schema.names], schema=schema, preserve_index=False)
