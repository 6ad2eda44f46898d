"""The dedup index earlier runs left: every earlier signature, and which earlier copy points where.

New documents are compared with everything already in the output through
this index, read from the Parquet files (not kept in memory between runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import store
from pipeline.clusters import Earlier
from pipeline.signature import MinHashSettings


def read_signatures(part: Path, settings: MinHashSettings) -> pa.Table:
    """One part of the signatures table, refused if it was made with other MinHash settings."""
    settings.check(pq.read_schema(part), str(part))
    return pq.read_table(part, schema=settings.schema)


def read_earlier(out_dir: Path, settings: MinHashSettings, changed_paths: Iterable[str], signatures: bool = True) -> Earlier:
    """The dedup index earlier runs left, minus the rows of raw files that changed.

    Without ``signatures`` only the decisions and the removed doc_ids are read
    (`pipeline.shuffle_dedup` reads the signature parts on the workers).
    """
    signatures = [read_signatures(p, settings) for p in store.parts(out_dir, "signatures")] if signatures else []
    duplicate_of: dict[str, str] = {}
    for part in store.parts(out_dir, "duplicates"):
        table = pq.read_table(part, columns=["doc_id", "duplicate_of"])
        duplicate_of.update(zip(table.column("doc_id").to_pylist(), table.column("duplicate_of").to_pylist()))
    removed: set[str] = set()
    changed = pa.array(sorted(set(changed_paths)), pa.string())
    if len(changed):
        for table_name in ("documents", "duplicates"):
            for part in store.parts(out_dir, table_name):
                table = pq.read_table(part, columns=["doc_id", "source_path"])
                removed.update(table.filter(pc.is_in(table.column("source_path"), value_set=changed)).column("doc_id").to_pylist())
    return Earlier(
        pa.concat_tables(signatures) if signatures else settings.schema.empty_table(),
        duplicate_of,
        frozenset(removed),
    )


def read_templates(out_dir: Path) -> pa.Table | None:
    """The boilerplate template support earlier runs left (`schema.TEMPLATES`), or None."""
    return store.read_table(out_dir, store.TEMPLATES) if store.parts(out_dir, store.TEMPLATES) else None


def read_texts(parts: Iterable[Path], doc_ids: Sequence[str]) -> dict[str, str]:
    """The clean texts of ``doc_ids``, from parts of documents or duplicates (staged or published).

    The first part that holds a doc_id gives its text (list this run's parts
    first: a changed file's new rows reuse its doc_ids). Of a published part
    only the row groups that hold a wanted row are read (a group per
    `publish.ROW_GROUP_BYTES`), of a staged one only the two columns (it is
    memory-mapped), so verifying a few pairs does not read the corpus.
    """
    remaining = set(doc_ids)
    found: dict[str, str] = {}
    for part in parts:
        if not remaining:
            break
        wanted = pa.array(sorted(remaining), pa.string())
        table = _rows_of(part, wanted)
        for doc_id, text in zip(table.column("doc_id").to_pylist(), table.column("text").to_pylist()):
            found[doc_id] = text
            remaining.discard(doc_id)
    return found


def _rows_of(part: Path, wanted: pa.Array) -> pa.Table:
    """(doc_id, text) of the ``wanted`` rows of one part."""
    if part.name.endswith(store.STAGED_SUFFIX):
        table = store.read_part(part, columns=["doc_id", "text"])
        return table.filter(pc.is_in(table.column("doc_id"), value_set=wanted))
    handle = pq.ParquetFile(part)
    ids = handle.read(columns=["doc_id"]).column("doc_id")
    rows = np.flatnonzero(pc.is_in(ids, value_set=wanted).to_numpy(zero_copy_only=False))
    if not len(rows):
        return pa.table({"doc_id": pa.array([], pa.string()), "text": pa.array([], pa.string())})
    bounds = np.cumsum([handle.metadata.row_group(g).num_rows for g in range(handle.num_row_groups)])
    groups = np.unique(np.searchsorted(bounds, rows, side="right")).tolist()
    table = handle.read_row_groups(groups, columns=["doc_id", "text"])
    return table.filter(pc.is_in(table.column("doc_id"), value_set=wanted))
