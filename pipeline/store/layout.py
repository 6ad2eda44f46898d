"""The output folder: its layout, one writer at a time, and how it is read (commits: `pipeline.store.journal`).

Layout (every table is a folder of Parquet parts, one part per run that
added rows, so ``pyarrow.parquet.read_table(OUT / "documents")`` reads it)::

    OUT/documents/part-000001.parquet   kept articles
    OUT/duplicates/part-000001.parquet  dropped copies, each pointing at a kept one
    OUT/rejects/part-000001.parquet     inputs that are not articles, with a reason
    OUT/signatures/part-000001.parquet  MinHash index that later runs dedup against
    OUT/edges/part-000001.parquet       templates at each page's edges, that later runs learn from
    OUT/files/part-000000.parquet       ledger of the raw files processed so far
    OUT/templates/part-000000.parquet   support of the boilerplate templates seen so far
    OUT/runs/run-000001.json            report of each run
    OUT/summary.json                    report of the latest run, with totals
    OUT/.lock  OUT/.journal.json  OUT/.staging-*   (hidden: the writer's own)

A run writes everything it changes to hidden temporary files first. Then one
``os.replace`` of ``.journal.json`` commits: the journal lists the renames and
deletions that turn the old state into the new one, and whoever takes the
lock next (the same run, or the next one after a crash) finishes them. Before
the journal exists nothing visible has changed; after it, the outcome is
fixed. Readers never see a partly written file, since every visible file is
only ever replaced whole.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import errno
import fcntl
import json
import os
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.config import Config
from pipeline.core.schema import SCHEMA_VERSION

# The tables with a part per run. ``edges`` keeps the templates at each page's edges: later runs count
# their site's furniture with them exactly, and know which pages a newly learned template changes.
TABLES = ("documents", "duplicates", "rejects", "signatures", "edges")
LEDGER = "files"
# Support of the boilerplate templates, kept so that later runs learn from earlier pages too.
TEMPLATES = "templates"
RUNS = "runs"
SUMMARY_NAME = "summary.json"
# The dataset card: which files make which table, for dataset readers.
CARD_NAME = "README.md"
LOCK_NAME = ".lock"
JOURNAL_NAME = ".journal.json"
STAGING_PREFIX = ".staging-"
# A run's staged tables are Arrow IPC files (`staging`), the output's parts Parquet.
STAGED_SUFFIX = ".arrow"
TEMP_SUFFIX = ".tmp"
COMPRESSION = "zstd"


class OutputError(ValueError):
    """The raw/output folders cannot be used as given; the message says why."""


class BusyError(OutputError):
    """Another run holds the output folder's lock."""


def check_folders(raw_dir: Path, out_dir: Path) -> None:
    """Refuse layouts where the output would be read as input, or the input overwritten."""
    if not raw_dir.is_dir():
        raise OutputError(f"raw folder {str(raw_dir)!r} does not exist or is not a folder; pass --raw DIR")
    raw, out = raw_dir.resolve(), out_dir.resolve()
    if out == raw or out.is_relative_to(raw) or raw.is_relative_to(out):
        raise OutputError(
            f"output folder {str(out_dir)!r} and raw folder {str(raw_dir)!r} overlap; "
            "the output must be outside the raw folder and must not contain it"
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"output {str(out_dir)!r} exists and is not a folder; pass --out DIR")
    for name in (*TABLES, LEDGER, TEMPLATES, RUNS, SUMMARY_NAME, CARD_NAME, JOURNAL_NAME, LOCK_NAME):
        # Writing through a link would put files outside the output folder.
        if (out_dir / name).is_symlink():
            raise OutputError(
                f"{str(out_dir / name)!r} is a symbolic link; docclean writes only inside the output "
                "folder itself. Replace the link with a real folder or file"
            )


@contextlib.contextmanager
def locked(out_dir: Path, wait_seconds: float = 0.0, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the output folder's lock: one writing run at a time, on this machine.

    Waits up to ``wait_seconds`` for another run to finish, then raises
    `BusyError` naming the holder. The lock is an ``flock`` on ``OUT/.lock``,
    so it is released by the kernel if the holder dies, and a crashed run
    never blocks the next one.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        _probe_writable(out_dir)
    except OSError as error:
        raise OutputError(
            f"cannot write to the output folder {str(out_dir)!r} ({error.strerror or error}); nothing was read or "
            "written. Give a folder this user can write to with --out, or fix its permissions"
        ) from None
    try:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
            holder = os.pread(fd, 512, 0).decode("utf-8", "replace").strip() or "unknown"
            if time.monotonic() >= deadline:
                raise BusyError(
                    f"another docclean run ({holder}) is writing {str(out_dir)!r}; nothing was read or "
                    "written. Run again when it has finished (its new files will be picked up), or wait "
                    "for it with lock_wait_seconds / --wait SECONDS"
                )
            if on_wait is not None and not told:
                on_wait(f"waiting up to {wait_seconds:.0f} s for another run ({holder}) to release {out_dir}")
                told = True
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since {started}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _probe_writable(out_dir: Path) -> None:
    """Create and remove a hidden file: the lock file alone may exist in a folder that is read-only."""
    probe = out_dir / f".probe-{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}"
    os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    probe.unlink()


def part_path(out_dir: Path, table: str, run: int) -> Path:
    return out_dir / table / f"part-{run:06d}.parquet"


def rewritten_path(part: Path, run: int) -> Path:
    """The name of an earlier part rewritten by ``run``: its first run's name, and the run that rewrote it.

    >>> rewritten_path(Path("documents/part-000001.r000003.parquet"), 5).name
    'part-000001.r000005.parquet'
    """
    return part.with_name(f"{part.name[: len('part-000000')]}.r{run:06d}.parquet")


def parts(out_dir: Path, table: str) -> list[Path]:
    """The parts of one table as the last commit made them, in run order.

    A run that crashed between its commit point (the journal) and the end of
    its renames leaves the folder half moved until the next run finishes it:
    the parts listed here are the committed ones all the same (a part not yet
    renamed is read from its temp file), so that every reader that asks
    docclean (`read_table`, ``docclean parts``) sees one whole run.
    """
    found = sorted((out_dir / table).glob("part-*.parquet"))
    journal = _journal(out_dir)
    return found if journal is None else _committed(out_dir, table, found, journal)


def _journal(out_dir: Path) -> dict | None:
    try:
        return json.loads((out_dir / JOURNAL_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _committed(out_dir: Path, table: str, found: list[Path], journal: dict) -> list[Path]:
    """The parts of ``table`` once ``journal`` is applied: deleted ones out, renamed ones in (their temp while it is there)."""

    def ours(rel: str) -> bool:
        return rel.startswith(f"{table}/part-") and rel.endswith(".parquet")

    deleted = {out_dir / rel for rel in journal.get("delete", []) if ours(rel)}
    at = {path: path for path in found if path not in deleted}
    for temp, final in journal.get("replace", []):
        if ours(final):
            at[out_dir / final] = out_dir / temp if (out_dir / temp).exists() else out_dir / final
    return [at[final] for final in sorted(at)]


def read_table(out_dir: str | Path, table: str, columns: Sequence[str] | None = None) -> pa.Table:
    """Every part of one published table as one Arrow table, in run order."""
    found = parts(Path(out_dir), table)
    if not found:
        raise FileNotFoundError(f"no {table} table in {str(out_dir)!r}; run docclean first")
    tables = [pq.read_table(p, columns=list(columns) if columns else None) for p in found]
    return pa.concat_tables(tables, promote_options="none") if len(tables) > 1 else tables[0]


def read_part(path: str | Path, columns: Sequence[str] | None = None, schema: pa.Schema | None = None) -> pa.Table:
    """A table of one part: Parquet (the output's parts) or Arrow IPC (a run's staged parts, `STAGED_SUFFIX`).

    An Arrow file is memory-mapped: the columns not asked for are never read.
    """
    if not str(path).endswith(STAGED_SUFFIX):
        return pq.read_table(path, columns=columns, schema=schema)
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    if columns is not None:
        table = table.select(columns)
    return table.cast(schema) if schema is not None and table.schema != schema else table


def read_ahead(parts: Sequence[Path], read: Callable[[Path], Any], ahead: int = 1) -> Iterator[tuple[Path, Any]]:
    """Each part and ``read(part)``, the next ``ahead`` parts read on threads while the caller works on this one.

    Reading a Parquet part is decompression and decoding, which Arrow does
    without the GIL: reads overlap the caller's work and each other. A caller
    that stops early waits for the reads in flight only.

    >>> list(read_ahead(["a", "b", "c"], str.upper, ahead=2))
    [('a', 'A'), ('b', 'B'), ('c', 'C')]
    """
    with ThreadPoolExecutor(ahead, thread_name_prefix="docclean-read") as reader:
        upcoming = collections.deque(reader.submit(read, part) for part in parts[:ahead])
        for at, part in enumerate(parts):
            result = upcoming.popleft().result()
            if at + ahead < len(parts):
                upcoming.append(reader.submit(read, parts[at + ahead]))
            yield part, result


def read_summary(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / SUMMARY_NAME
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise OutputError(f"{path} is not valid JSON ({error}); rebuild the output with --full") from None


def next_run(out_dir: Path) -> int:
    summary = read_summary(out_dir)
    return int(summary.get("run") or 0) + 1 if summary else 1


def check_compatible(out_dir: Path, config: Config) -> None:
    """Refuse to add to an output that was built in a way this run cannot match."""
    summary = read_summary(out_dir)
    if summary is None:
        if any(parts(out_dir, table) for table in TABLES):
            raise OutputError(f"{str(out_dir)!r} holds tables but no summary.json; rebuild it with --full")
        return
    if summary.get("schema_version") != SCHEMA_VERSION:
        raise OutputError(
            f"{str(out_dir)!r} was written with schema version {summary.get('schema_version')!r}, this "
            f"docclean writes {SCHEMA_VERSION!r}; rebuild it with --full (or write to a new --out)"
        )
    # The settings as they were resolved then (a patterns file by its content).
    before = summary.get("output_settings") or {}
    now = config.output_settings()
    differ = [f"{key} {before[key]!r} -> {now[key]!r}" for key in now if before.get(key) != now[key]]
    if differ:
        raise OutputError(
            f"{str(out_dir)!r} was built with other settings ({'; '.join(differ)}); articles cleaned or "
            "signed differently cannot be mixed. Rebuild with --full, write to a new --out, or restore "
            "the old settings"
        )


def temp_path(final: Path) -> Path:
    """A hidden name beside ``final`` that readers and pyarrow datasets skip."""
    return final.parent / f".{final.name}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}"


def write_parquet(table: pa.Table, path: Path) -> None:
    """``table`` as a Parquet file; an empty table as a file with no row group.

    An empty row group (what ``pq.write_table`` makes of 0 rows) breaks readers that
    batch by row group: Hugging Face ``datasets`` fails on it ("BatchSize must be
    greater than 0"); a file with no row group reads as 0 rows everywhere.
    """
    with pq.ParquetWriter(path, table.schema, compression=COMPRESSION) as writer:
        if table.num_rows:
            writer.write_table(table)


def write_text_temp(final: Path, text: str) -> Path:
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(final)
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return temp


def fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
