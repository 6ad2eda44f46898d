"""Which raw files a run has to process: the ledger of files already done.

The ledger (``OUT/files/``) has one row per raw file some run processed: its
size, modification time and content hash then. A file is processed again
only when it is new or its bytes changed; a file that was only touched
(same bytes, new mtime) is left alone. A raw file that disappears keeps its
rows in the output: the corpus accumulates, and scrapers rotate raw folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from pipeline import store
from pipeline.core.schema import FILES
from pipeline.read.ingest import (
    Fingerprint,
    PathList,
    Refused,
    chunks,
    discover,
    open_input,
    relative_name,
    stat_fingerprint,
)

__all__ = [
    "Fingerprint",
    "Plan",
    "content_hash",
    "ledger_of",
    "ledger_rows",
    "ledger_table",
    "plan",
    "plan_run",
    "prints_table",
    "write_ledger",
]


def content_hash(path: Path, raw_dir: Path, follow_symlinks: str = "inside") -> str | None:
    """xxh3-128 of the file's bytes, read in chunks; None when it is not read (see `ingest.open_input`)."""
    try:
        fd, _ = open_input(path, raw_dir, follow_symlinks)
    except (Refused, OSError):
        return None
    digest = xxhash.xxh3_128()
    try:
        for _ in chunks(fd, digest):
            pass
    except OSError:
        return None
    finally:
        os.close(fd)
    return digest.hexdigest()


@dataclass(frozen=True)
class Plan:
    """What one run has to do.

    ``process``: new or changed files, in discovery order. ``changed``:
    source paths among them that earlier runs processed (their earlier rows
    leave the output). ``unchanged``: files skipped. ``missing``: ledger
    files of this raw folder that are no longer there (their rows stay).
    ``reread``: unchanged files that learning sends back through the
    cleaning (their earlier rows leave too), once learning is done.
    """

    process: Sequence[Path]
    changed: list[str]
    unchanged: int = 0
    missing: int = 0
    reread: list[str] = field(default_factory=list)
    reread_gone: int = 0

    @property
    def nothing_new(self) -> bool:
        return not self.process

    @property
    def leaving(self) -> list[str]:
        """Source paths whose earlier rows leave the output: changed files, and files read again."""
        return [*self.changed, *self.reread]

    def facts(self) -> dict[str, int]:
        """The plan's counts, as they appear in the run summary.

        ``files_reread``: unchanged files read and cleaned again because what
        was learned about their site's furniture changed; ``files_reread_gone``:
        such files no longer in the raw folder, whose rows stay as they were.
        """
        return {
            "files": len(self.process) + self.unchanged,
            "files_processed": len(self.process),
            "files_changed": len(self.changed),
            "files_unchanged": self.unchanged,
            "files_missing": self.missing,
            "files_reread": len(self.reread),
            "files_reread_gone": self.reread_gone,
        }


def plan(
    files: Sequence[Path],
    raw_dir: Path,
    ledger: pa.Table | None,
    names_from: Path | None = None,
    follow_symlinks: str = "inside",
) -> Plan:
    """Compare the raw folder with the ledger (None: process everything).

    Source paths are relative to ``names_from`` (default ``raw_dir``), the
    first raw folder of the output (see `store.raw_roots`).
    """
    names_from = names_from or raw_dir
    if ledger is None:
        # Everything is new: the list as discovered, not a second copy of a million names.
        return Plan(files, [])
    # Rows by name, their columns as arrays: a dict per ledger row would cost
    # about half a kilobyte a file in a million-file output.
    done = {name: i for i, name in enumerate(ledger.column("source_path").to_pylist())}
    sizes, mtimes = ledger.column("size_bytes").to_numpy(), ledger.column("mtime_ns").to_numpy()
    hashes = ledger.column("content_hash")
    process = PathList()
    changed: list[str] = []
    unchanged = 0
    seen = set()
    for path in files:
        name = relative_name(path, names_from)
        seen.add(name)
        i = done.get(name)
        row = (
            None
            if i is None
            else {"size_bytes": int(sizes[i]), "mtime_ns": int(mtimes[i]), "content_hash": hashes[i].as_py()}
        )
        if row is None:
            # New: the worker that reads it hashes the bytes it reads
            # (`ingest.read_file`), rather than this process reading it too.
            process.append(path)
            continue
        quick = stat_fingerprint(path)
        if row["content_hash"] is not None and quick.same_stat(row):
            unchanged += 1
            continue
        digest = content_hash(path, raw_dir, follow_symlinks)
        if digest is not None and digest == row["content_hash"]:
            # Touched, not changed. The ledger keeps the old mtime, so a later
            # run hashes it again: cheap, and it keeps a no-op run a no-op.
            unchanged += 1
            continue
        if digest is None and row["content_hash"] is None and quick.size == row["size_bytes"]:
            unchanged += 1  # still not readable, as before: its reject row stands
            continue
        process.append(path)
        changed.append(name)
    prefix = "" if Path(raw_dir) == Path(names_from) else relative_name(Path(raw_dir), names_from) + "/"
    missing = sum(1 for name in done if name not in seen and under(name, prefix))
    return Plan(process, changed, unchanged, missing)


def under(name: str, prefix: str) -> bool:
    """Whether a source path belongs to the raw folder whose names start with ``prefix``."""
    return name.startswith(prefix) if prefix else not name.startswith("../")


def plan_run(
    raw_dir: Path, out_dir: Path, full: bool = False, names_from: Path | None = None, follow_symlinks: str = "inside"
) -> Plan:
    """The plan for a run over ``raw_dir`` into ``out_dir`` (``full``: every file)."""
    done = None if full or not store.parts(out_dir, store.LEDGER) else store.read_table(out_dir, store.LEDGER)
    return plan(discover(raw_dir, follow_symlinks), raw_dir, done, names_from, follow_symlinks)


def prints_table(prints: Mapping[str, Fingerprint], records: Mapping[str, int]) -> pa.Table:
    """One batch's files as columns: what each was when its worker read it, and how many records it gave.

    A batch's workers build it, so the driver holds a few Arrow columns per
    batch, not an object per file (a million files would be a gigabyte).
    """
    names = list(prints)
    values = list(prints.values())
    return pa.table(
        {
            "source_path": pa.array(names, pa.string()),
            "size_bytes": pa.array([p.size for p in values], pa.int64()),
            "mtime_ns": pa.array([p.mtime_ns for p in values], pa.int64()),
            "content_hash": pa.array([p.content_hash for p in values], pa.string()),
            "records": pa.array([records.get(name, 0) for name in names], pa.int32()),
        }
    )


def ledger_table(
    prints: Mapping[str, Fingerprint], records: Mapping[str, int], run: int, earlier: pa.Table | None
) -> pa.Table:
    """The ledger after this run: earlier rows, with this run's files added or replaced (see `ledger_of`)."""
    return ledger_of([prints_table(prints, records)], run, earlier)


def ledger_of(batches: Sequence[pa.Table], run: int, earlier: pa.Table | None) -> pa.Table:
    """The ledger after this run, from each batch's `prints_table`: earlier rows, this run's files added or replaced.

    The hash of each processed file is of exactly the bytes its worker read (`ingest.read_file`).
    """
    # Arrow orders strings by their UTF-8 bytes, which is code point order.
    return ledger_rows(batches, run, earlier).sort_by("source_path").combine_chunks()


def ledger_rows(batches: Sequence[pa.Table], run: int, earlier: pa.Table | None) -> pa.Table:
    """The rows of `ledger_of`, in no particular order (`write_ledger` sorts them as it writes)."""
    empty = pa.schema([f for f in FILES if f.name != "run"]).empty_table()
    files = pa.concat_tables(batches) if batches else empty
    table = files.append_column("run", pa.array(np.full(files.num_rows, run, np.int32))).select(FILES.names).cast(FILES)
    if earlier is not None:
        kept = earlier.filter(pc.invert(pc.is_in(earlier.column("source_path"), value_set=table.column("source_path"))))
        table = pa.concat_tables([kept.select(FILES.names).cast(FILES), table])
    return table


# Rows the ledger is written in at a time: a sorted copy of a million rows, and
# its encoding as one row group, cost the driver 400 MiB.
WRITE_ROWS = 65_536


def write_ledger(rows: pa.Table, path: Path) -> None:
    """Write `ledger_rows` to ``path`` in source path order, a slice at a time."""
    order = pc.sort_indices(rows, [("source_path", "ascending")])
    with pq.ParquetWriter(path, FILES, compression=store.COMPRESSION) as writer:
        for start in range(0, len(order), WRITE_ROWS):
            writer.write_table(rows.take(order.slice(start, WRITE_ROWS)))
