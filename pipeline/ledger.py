"""Which raw files a run has to process: the ledger of files already done.

The ledger (``OUT/files/``) has one row per raw file some run processed: its
size, modification time and content hash then. A file is processed again
only when it is new or its bytes changed; a file that was only touched
(same bytes, new mtime) is left alone. A raw file that disappears keeps its
rows in the output: the corpus accumulates, and scrapers rotate raw folders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from pipeline import store
from pipeline.ingest import discover, relative_name
from pipeline.schema import FILES

HASH_CHUNK = 1 << 20


# Slotted: a plan holds one per new file, a million of them on a first run.
@dataclass(frozen=True, slots=True)
class Fingerprint:
    size: int
    mtime_ns: int
    content_hash: str | None

    def same_stat(self, row: Mapping) -> bool:
        return row["size_bytes"] == self.size and row["mtime_ns"] == self.mtime_ns


def content_hash(path: Path) -> str | None:
    """xxh3-128 of the file's bytes, read in chunks; None when it cannot be read."""
    digest = xxhash.xxh3_128()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def fingerprint(path: Path, with_hash: bool = True) -> Fingerprint:
    try:
        stat = path.stat()
        size, mtime = stat.st_size, stat.st_mtime_ns
    except OSError:
        size, mtime = -1, -1
    return Fingerprint(size, mtime, content_hash(path) if with_hash else None)


@dataclass(frozen=True)
class Plan:
    """What one run has to do.

    ``process``: new or changed files, in discovery order. ``changed``:
    source paths among them that earlier runs processed (their earlier rows
    leave the output). ``fingerprints``: of every file in ``process``.
    ``unchanged``: files skipped. ``missing``: ledger files no longer in the
    raw folder (their rows stay).
    """

    process: list[Path]
    changed: list[str]
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)
    unchanged: int = 0
    missing: int = 0

    @property
    def nothing_new(self) -> bool:
        return not self.process

    def facts(self) -> dict[str, int]:
        """The plan's counts, as they appear in the run summary."""
        return {
            "files": len(self.process) + self.unchanged,
            "files_processed": len(self.process),
            "files_changed": len(self.changed),
            "files_unchanged": self.unchanged,
            "files_missing": self.missing,
        }


def plan(files: Sequence[Path], raw_dir: Path, ledger: pa.Table | None) -> Plan:
    """Compare the raw folder with the ledger (None: process everything)."""
    done = {row["source_path"]: row for row in ledger.to_pylist()} if ledger is not None else {}
    process: list[Path] = []
    changed: list[str] = []
    prints: dict[str, Fingerprint] = {}
    unchanged = 0
    seen = set()
    for path in files:
        name = relative_name(path, raw_dir)
        seen.add(name)
        row = done.get(name)
        quick = fingerprint(path, with_hash=False)
        if row is not None and row["content_hash"] is not None and quick.same_stat(row):
            unchanged += 1
            continue
        if row is None:
            # New: the worker that reads it hashes it (see `chain.clean_and_stage`),
            # rather than this process reading every new file once more.
            process.append(path)
            prints[name] = quick
            continue
        full = Fingerprint(quick.size, quick.mtime_ns, content_hash(path))
        if row is not None and full.content_hash is not None and full.content_hash == row["content_hash"]:
            # Touched, not changed. The ledger keeps the old mtime, so a later
            # run hashes it again: cheap, and it keeps a no-op run a no-op.
            unchanged += 1
            continue
        if row is not None and full.content_hash is None and row["content_hash"] is None and full.size == row["size_bytes"]:
            unchanged += 1  # still unreadable, as before: its reject row stands
            continue
        process.append(path)
        prints[name] = full
        if row is not None:
            changed.append(name)
    return Plan(process, changed, prints, unchanged, sum(1 for name in done if name not in seen))


def plan_run(raw_dir: Path, out_dir: Path, full: bool = False) -> Plan:
    """The plan for a run over ``raw_dir`` into ``out_dir`` (``full``: every file)."""
    done = None if full or not store.parts(out_dir, store.LEDGER) else store.read_table(out_dir, store.LEDGER)
    return plan(discover(raw_dir), raw_dir, done)


def ledger_table(
    plan: Plan, records: Mapping[str, int], run: int, earlier: pa.Table | None, hashes: Mapping[str, str | None]
) -> pa.Table:
    """The ledger after this run: earlier rows, with this run's files added or replaced.

    ``hashes`` are the content hashes taken when the files were read. Built
    column by column: a row object per file would cost about a gigabyte at a
    million files.
    """
    names = list(plan.fingerprints)
    prints = list(plan.fingerprints.values())
    table = pa.table(
        {
            "source_path": pa.array(names, pa.string()),
            "size_bytes": pa.array([p.size for p in prints], pa.int64()),
            "mtime_ns": pa.array([p.mtime_ns for p in prints], pa.int64()),
            "content_hash": pa.array([hashes.get(name, p.content_hash) for name, p in zip(names, prints)], pa.string()),
            "records": pa.array([records.get(name, 0) for name in names], pa.int32()),
            "run": pa.array([run] * len(names), pa.int32()),
        },
        schema=FILES,
    )
    if earlier is not None:
        kept = earlier.filter(pc.invert(pc.is_in(earlier.column("source_path"), value_set=table.column("source_path"))))
        table = pa.concat_tables([kept.select(FILES.names).cast(FILES), table])
    # Arrow orders strings by their UTF-8 bytes, which is code point order.
    return table.sort_by("source_path").combine_chunks()
