"""The output's tables as Delta Lake tables: a transaction log beside the Parquet parts, so any Delta reader reads one run.

Every run ends by bringing each table's ``_delta_log/`` in line with the
parts docclean committed (locally the parts of `store.parts`, at a URL the
objects `_manifest.json` lists): one Delta version that adds this run's new
and rewritten parts and removes those it superseded. A Delta reader
(``pl.read_delta``, duckdb's ``delta_scan``, Spark, ``DeltaTable(...)``) thus
reads the latest run's table whole, never a superseded file, with no
docclean code. The parts themselves are never changed once written (a part
dedup rewrites gets a new name), so every version of the log stays true.

Why the log follows the commit rather than being it: docclean commits all
its tables at once (the journal locally, the manifest at a URL), and a Delta
log commits one table. Docclean's commit stays the one truth; the log is
brought to it afterwards, and again by the next run if a crash came between
(`sync` is idempotent: it commits only the difference). Each version's
commit info names the docclean run (``docclean.run``), and the run report
(``delta_versions``) names the version of each table, so a reader who needs
all tables at one run can ask for those versions.

Each part the log adds carries the min, max and nulls of the columns a
reader filters on (`file_stats`), so a filtered Delta read opens only the
parts that can match. Superseded parts are removed from the log at once; the files go at the
commit locally, one run later at a URL (`pipeline.store.remote`): that run is
the retention an older Delta version can still be read in.
"""

from __future__ import annotations

import functools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.core.schema import DOCUMENTS, DUPLICATES, REJECTS
from pipeline.store import layout

# The tables readers query. ``signatures`` and ``edges`` are docclean's own
# state for later runs (their unsigned integer columns have no Delta type).
DELTA_TABLES: dict[str, pa.Schema] = {"documents": DOCUMENTS, "duplicates": DUPLICATES, "rejects": REJECTS}
LOG_NAME = "_delta_log"
RUN_KEY = "docclean.run"


# Longest string a column's min and max are recorded for: a reader skips files
# on ids, paths, dates, counts and labels, not on titles or texts.
MAX_STAT_CHARS = 64


@dataclass(frozen=True)
class DataFile:
    """One Parquet file of a table, as the log records it: its path under the table's folder, bytes and stats."""

    path: str
    size: int
    modified_ms: int
    stats: dict  # the add action's stats (`file_stats`): rows, and bounds of the columns readers filter on


def described(path: str, size: int, modified_ms: int, part: Path) -> DataFile:
    """The `DataFile` of a part whose Parquet file (a local file, or an object's local copy) is ``part``."""
    return DataFile(path, size, modified_ms, file_stats(part))


def local_file(folder: Path, path: str) -> DataFile:
    """The `DataFile` of one committed part of a local table folder."""
    part = folder / path
    info = part.stat()
    return described(path, info.st_size, info.st_mtime_ns // 1_000_000, part)


def file_stats(part: Path) -> dict:
    """A part's Delta stats: its rows, and the min, max and nulls of each column a reader may filter on.

    Computed from the values themselves (not the Parquet footer, whose string
    bounds a writer may shorten): the signed integer, date and short string
    columns (`MAX_STAT_CHARS`). Delta readers (polars, duckdb, delta-rs)
    skip a file whose bounds exclude a filter's value.

    >>> import tempfile, datetime
    >>> folder = Path(tempfile.mkdtemp())
    >>> pq.write_table(pa.table({"id": ["b", "a"], "n": [3, None], "day": [datetime.date(2020, 1, 2)] * 2,
    ...                          "text": ["x" * 100, "y"]}), folder / "p.parquet")
    >>> stats = file_stats(folder / "p.parquet")
    >>> stats["numRecords"], stats["minValues"], stats["maxValues"]
    (2, {'id': 'a', 'n': 3, 'day': '2020-01-02'}, {'id': 'b', 'n': 3, 'day': '2020-01-02'})
    >>> stats["nullCount"]
    {'id': 0, 'n': 1, 'day': 0}
    """
    footer = pq.ParquetFile(part)
    short = _short_strings(footer.metadata)
    wanted = [
        f.name
        for f in footer.schema_arrow
        if pa.types.is_signed_integer(f.type) or f.type == pa.date32() or (f.type == pa.string() and f.name in short)
    ]
    table = footer.read(columns=wanted)
    low: dict = {}
    high: dict = {}
    nulls: dict = {}
    for name in wanted:
        column = table.column(name)
        bounds = pc.min_max(column).as_py()
        lowest, highest = bounds["min"], bounds["max"]
        if isinstance(lowest, str) and max(len(lowest), len(highest)) > MAX_STAT_CHARS:
            continue
        nulls[name] = column.null_count
        if lowest is not None:
            low[name], high[name] = (
                (lowest.isoformat(), highest.isoformat()) if hasattr(lowest, "isoformat") else (lowest, highest)
            )
    return {"numRecords": table.num_rows, "minValues": low, "maxValues": high, "nullCount": nulls}


def _short_strings(metadata: pq.FileMetaData) -> set[str]:
    """The columns whose footer bounds are all present and short: a page's text is not read to learn it is long.

    A writer may shorten a bound, never lengthen it: a long one here is long in
    the values too. A list's leaf (``name.list.element``) names no column.
    """
    short = set()
    for index in range(metadata.num_columns):
        groups = [metadata.row_group(g).column(index).statistics for g in range(metadata.num_row_groups)]
        if groups and all(
            stats is not None and stats.has_min_max and max(len(str(stats.min)), len(str(stats.max))) <= MAX_STAT_CHARS
            for stats in groups
        ):
            short.add(metadata.schema.column(index).path)
    return short


def sync(
    table_uri: str,
    paths: Sequence[str],
    describe: Callable[[str], DataFile],
    schema: pa.Schema,
    run: int,
    storage_options: dict | None = None,
    *,
    commit: bool = True,
) -> int:
    """Make the latest version of the Delta table at ``table_uri`` hold exactly ``paths``; return its version.

    ``describe(path)`` is asked only for the files the version adds (their
    size and stats), so a log already in line costs no read of the parts.
    Commits nothing when it already holds them; with ``commit=False`` only
    says which version it would be. A table whose schema differs (an output
    rebuilt with ``--full`` by a newer docclean) gets a version that replaces
    it whole.
    """
    # Imported here: only a run that commits needs delta-rs.
    from deltalake import DeltaTable, Schema
    from deltalake.transaction import AddAction, CommitProperties, RemoveAction, create_table_with_add_actions

    delta_schema = Schema.from_arrow(schema)
    properties = CommitProperties(custom_metadata={RUN_KEY: str(run)})

    def add(path: str) -> AddAction:
        file = describe(path)
        return AddAction(file.path, file.size, {}, file.modified_ms, True, json.dumps(file.stats, ensure_ascii=False))

    table = (
        DeltaTable(table_uri, storage_options=storage_options)
        if DeltaTable.is_deltatable(table_uri, storage_options=storage_options)
        else None
    )
    if table is None or table.schema() != delta_schema:
        if commit:
            create_table_with_add_actions(
                table_uri,
                delta_schema,
                [add(path) for path in sorted(paths)],
                mode="overwrite",
                storage_options=storage_options,
                commit_properties=properties,
            )
        return 0 if table is None else table.version() + 1
    current = set(pa.table(table.get_add_actions()).column("path").to_pylist())
    adding, removing = sorted(set(paths) - current), sorted(current - set(paths))
    if not adding and not removing:
        return table.version()
    if commit:
        now_ms = int(time.time() * 1000)
        table.create_write_transaction(
            [*map(add, adding), *(RemoveAction(path, True, now_ms) for path in removing)],
            mode="append",
            schema=delta_schema,
            commit_properties=properties,
        )
    return table.version() + 1


def sync_local(out_dir: Path, run: int, parts: dict[str, Sequence[Path]], *, commit: bool = True) -> dict[str, int]:
    """`sync` each Delta table of a local output to its parts (by table name); its version, by table name.

    With ``commit=False`` the parts may still be temp files: only their names count.
    """
    versions = {}
    for name, schema in DELTA_TABLES.items():
        folder = out_dir / name
        if name not in parts or not (parts[name] or folder.is_dir()):
            continue
        paths = [p.relative_to(folder).as_posix() for p in parts[name]]
        versions[name] = sync(
            str(folder.absolute()), paths, functools.partial(local_file, folder), schema, run, commit=commit
        )
    return versions


def sync_output(out_dir: Path, run: int) -> dict[str, int]:
    """`sync_local` to the parts the last commit left (after a commit, or a crash that came before its log)."""
    return sync_local(out_dir, run, {name: layout.parts(out_dir, name) for name in DELTA_TABLES})


def s3_storage_options() -> dict[str, str]:
    """What delta-rs needs to reach the S3 store docclean reaches: the credentials botocore resolves
    (environment, profile, instance role), the endpoint and region of the environment.

    One writer at a time is docclean's lease, not a lock table: the log's
    commits may use plain puts.
    """
    import botocore.session

    session = botocore.session.Session()
    options = {"AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
    credentials = session.get_credentials()
    if credentials is not None:
        frozen = credentials.get_frozen_credentials()
        options["AWS_ACCESS_KEY_ID"], options["AWS_SECRET_ACCESS_KEY"] = frozen.access_key, frozen.secret_key
        if frozen.token:
            options["AWS_SESSION_TOKEN"] = frozen.token
    options["AWS_REGION"] = session.get_config_variable("region") or "us-east-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["AWS_ENDPOINT_URL"] = endpoint
        if endpoint.startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"
    return options
