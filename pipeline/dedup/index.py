"""The dedup index earlier runs left: every earlier signature, and which earlier copy points where.

New documents are compared with everything already in the output through
this index, read from the Parquet files (not kept in memory between runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import store
from pipeline.core.schema import EDGES
from pipeline.dedup.clusters import Earlier
from pipeline.dedup.sketch import MinHashSettings


def read_signatures(part: Path, settings: MinHashSettings) -> pa.Table:
    """One part of the signatures table, refused if it was made with other MinHash settings."""
    settings.check(pq.read_schema(part), str(part))
    return pq.read_table(part, schema=settings.schema)


def read_earlier(
    out_dir: Path, settings: MinHashSettings, changed_paths: Iterable[str], signatures: bool = True
) -> Earlier:
    """The dedup index earlier runs left, minus the rows of raw files that changed.

    Without ``signatures`` only the decisions and the removed doc_ids are read
    (`pipeline.dedup.shuffle_dedup` reads the signature parts on the workers).
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
                removed.update(
                    table.filter(pc.is_in(table.column("source_path"), value_set=changed)).column("doc_id").to_pylist()
                )
    return Earlier(
        pa.concat_tables(signatures) if signatures else settings.schema.empty_table(),
        duplicate_of,
        frozenset(removed),
    )


def read_templates(out_dir: Path) -> pa.Table | None:
    """The boilerplate template support earlier runs left (`schema.TEMPLATES`), or None."""
    return store.read_table(out_dir, store.TEMPLATES) if store.parts(out_dir, store.TEMPLATES) else None


def read_edges(parts: Iterable[Path], leaving: Iterable[str] = ()) -> pa.Table:
    """The edge rows earlier runs kept (``parts`` of the `schema.EDGES` table), minus those of the raw files in ``leaving`` (changed, read again)."""
    gone = pa.array(sorted(set(leaving)), pa.string())
    tables = []
    for part in parts:
        table = pq.read_table(part, schema=EDGES)
        tables.append(
            table.filter(pc.invert(pc.is_in(table.column("source_path"), value_set=gone))) if len(gone) else table
        )
    return pa.concat_tables(tables) if tables else EDGES.empty_table()


def pages_with(out_dir: Path, templates: pa.Table) -> list[str]:
    """The raw files of earlier pages that hold one of ``templates`` (scope, template_hash, where: TOP or BOTTOM) at that edge.

    What a change in the learned furniture changes: these pages are read and cleaned again.
    """
    found: set[str] = set()
    if not templates.num_rows:
        return []
    wanted = templates.cast(pa.schema([("scope", pa.string()), ("template_hash", pa.uint64()), ("edge", pa.uint8())]))
    for part in store.parts(out_dir, "edges"):
        table = pq.read_table(part, schema=EDGES)
        table = table.filter(pc.is_in(table.column("template_hash"), value_set=wanted.column("template_hash")))
        if not table.num_rows:
            continue
        for edge in (1, 2):
            at = table.filter(pc.not_equal(pc.bit_wise_and(table.column("where"), edge), 0))
            hits = at.join(
                wanted.filter(pc.equal(wanted.column("edge"), edge)).drop_columns(["edge"]),
                ["scope", "template_hash"],
                join_type="inner",
            )
            found.update(hits.column("source_path").to_pylist())
    return sorted(found)


class TextFinder:
    """The clean texts of doc_ids, from parts of documents or duplicates (staged or published).

    The first part that holds a doc_id gives its text (list this run's parts
    first: a changed file's new rows reuse its doc_ids). The doc_ids of every
    part are read once, at the first call, and each call reads only the rows
    it wants: of a published part the row groups that hold them (a group per
    `part_writer.ROW_GROUP_BYTES`), of a staged one (memory-mapped) the rows
    themselves. Dedup asks a chunk of pairs at a time; scanning every part
    for every chunk took three minutes at a million pages.
    """

    def __init__(self, parts: Iterable[Path]) -> None:
        self.parts = list(parts)
        self.ids: pa.Array | None = None
        self.starts = np.zeros(1, np.int64)

    def __getstate__(self) -> dict:
        # Sent to a Dask worker before or after its first call: the index is rebuilt there, not shipped.
        return {**self.__dict__, "ids": None, "starts": np.zeros(1, np.int64)}

    def __call__(self, doc_ids: Sequence[str]) -> dict[str, str]:
        if self.ids is None:
            columns = [_ids_of(part) for part in self.parts]
            self.ids = pa.chunked_array(columns, pa.string()).combine_chunks() if columns else pa.array([], pa.string())
            self.starts = np.cumsum([0, *(len(column) for column in columns)])
        wanted = pa.array(sorted(set(doc_ids)), pa.string())
        rows = np.flatnonzero(pc.is_in(self.ids, value_set=wanted).to_numpy(zero_copy_only=False))
        first: dict[str, int] = {}
        for doc_id, row in zip(self.ids.take(pa.array(rows)).to_pylist(), rows.tolist()):
            first.setdefault(doc_id, row)
        found: dict[str, str] = {}
        rows = np.array(sorted(first.values()), np.int64)
        for at, here in by_piece(self.starts, rows):
            table = _rows_at(self.parts[at], rows[here] - self.starts[at])
            found.update(zip(table.column("doc_id").to_pylist(), table.column("text").to_pylist()))
        return found


def by_piece(starts: Sequence[int] | np.ndarray, rows: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """Rows numbered over pieces laid end to end (piece k holds ``starts[k]`` up to ``starts[k + 1]``): each piece
    that holds some of ``rows``, and which of them (a mask).

    >>> [(at, here.tolist()) for at, here in by_piece([0, 2, 5], np.array([3, 0, 4]))]
    [(0, [False, True, False]), (1, [True, False, True])]
    """
    which = np.searchsorted(starts, rows, side="right") - 1
    for at in np.unique(which).tolist():
        yield at, which == at


def _ids_of(part: Path) -> pa.Array:
    return store.read_part(part, columns=["doc_id"]).column("doc_id").combine_chunks()


def _rows_at(part: Path, rows: np.ndarray) -> pa.Table:
    """(doc_id, text) of some rows of one part, by row number (ascending)."""
    if part.name.endswith(store.STAGED_SUFFIX):
        return store.read_part(part, columns=["doc_id", "text"]).take(pa.array(rows))
    handle = pq.ParquetFile(part)
    starts = np.cumsum([0, *(handle.metadata.row_group(g).num_rows for g in range(handle.num_row_groups))])
    # A group at a time: the texts of many groups are more than one Arrow string array holds (2 GiB).
    tables = [
        handle.read_row_group(group, columns=["doc_id", "text"]).take(pa.array(rows[here] - starts[group]))
        for group, here in by_piece(starts, rows)
    ]
    return (
        pa.concat_tables(tables)
        if tables
        else pa.table({"doc_id": pa.array([], pa.string()), "text": pa.array([], pa.string())})
    )
