"""What `pipeline.store.publish` writes and counts: this run's new part of each table, and the record of the commit it prepares.

`PartWriter` writes one table's new part as rows come; `Published` holds the
renames and deletions the commit will make and what publishing counted.
"""

from __future__ import annotations

import collections
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import store
from pipeline.store.layout import COMPRESSION


@dataclass
class Published:
    """What `publish` prepared: the renames and deletions of the commit, and what it counted.

    ``rows``: rows of this run's new part of each table (moved earlier rows
    included). ``counts``: duplicates by kind, copies of earlier runs, pages'
    repeated blocks, and earlier rows moved (replaced_kept, repointed,
    promoted, removed). ``titles``: (title, source_path) of the kept copies
    of the largest clusters. ``totals``: rows of each table after the commit.
    """

    replace: list[tuple[Path, Path]] = field(default_factory=list)
    delete: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    counts: collections.Counter = field(default_factory=collections.Counter)
    reasons: collections.Counter = field(default_factory=collections.Counter)
    flags: collections.Counter = field(default_factory=collections.Counter)
    titles: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    run: int = 0

    def discard(self) -> None:
        """Remove every temp file prepared (the run is not committed)."""
        for temp, _ in self.replace:
            temp.unlink(missing_ok=True)


# Staged batches are a few hundred rows each: the parts get row groups of at
# least this much data instead. A row group per batch (4,000 at a million
# pages) left the writers' footer metadata at a quarter of a GiB, and readers
# skip through row groups, not rows.
ROW_GROUP_BYTES = 32 * 2**20


class PartWriter:
    """This run's new part of one table, written to a hidden temp file as rows come, in row groups of ``ROW_GROUP_BYTES``.

    Row groups are encoded and compressed on the ``writing`` thread (Arrow
    does it without the GIL) while this one reads and sorts the next rows:
    the writes were half of publish's time. One row group at a time is in
    flight, so the order of the rows stays as written.
    """

    def __init__(self, final: Path, schema: pa.Schema, writing: ThreadPoolExecutor) -> None:
        self.final, self.schema, self.writing = final, schema, writing
        self.temp: Path | None = None
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0
        self.pending: list[pa.Table] = []
        self.pending_bytes = 0
        self.in_flight: Future | None = None

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        table = table.select(self.schema.names).cast(self.schema)
        self.pending.append(table)
        self.pending_bytes += table.nbytes
        self.rows += table.num_rows
        if self.pending_bytes >= ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        if self.writer is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.temp = store.temp_path(self.final)
            self.writer = pq.ParquetWriter(self.temp, self.schema, compression=COMPRESSION)
        rows = pa.concat_tables(self.pending)
        self.pending, self.pending_bytes = [], 0
        self._written()
        self.in_flight = self.writing.submit(self.writer.write_table, rows, row_group_size=rows.num_rows)

    def _written(self) -> None:
        """Wait for the row group in flight (its error, if any, is raised here)."""
        if self.in_flight is not None:
            in_flight, self.in_flight = self.in_flight, None
            in_flight.result()

    def finish(self, even_if_empty: bool) -> Path | None:
        """Close and sync; an empty part is written only when asked (a table needs one file)."""
        self._flush()
        self._written()
        if self.writer is None:
            if not even_if_empty:
                return None
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.temp = store.temp_path(self.final)
            store.write_parquet(self.schema.empty_table(), self.temp)
            store.fsync_file(self.temp)
            return self.temp
        self.writer.close()
        store.fsync_file(self.temp)
        return self.temp

    def abort(self) -> None:
        self.pending = []
        if self.in_flight is not None:
            wait([self.in_flight])  # its error, if any, is not the one that stopped the run
            self.in_flight = None
        if self.writer is not None:
            self.writer.close()
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)


def true_count(mask: pa.Array | pa.ChunkedArray) -> int:
    """The sum of a column (how many values of a boolean mask are true); 0 when empty (where ``pc.sum`` gives null).

    >>> true_count(pa.array([], pa.bool_())), true_count(pa.array([True, False, True]))
    (0, 2)
    """
    return int(pc.sum(mask).as_py() or 0)
