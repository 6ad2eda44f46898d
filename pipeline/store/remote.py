"""Raw pages and outputs at fsspec URLs: mirrored into a local cache, published as immutable objects plus a manifest.

The stages read and write local files (``os.read`` with its limits, the
journal commit); object storage is brought to them:

- **raw** (``--raw s3://bucket/pages``): the objects are copied into
  ``$DOCCLEAN_CACHE/raw/<hash of URL>/``, only those new or changed since the
  last run (size and ETag), and the run reads that folder (`pipeline.store.local_copy`).
  Source paths are the object keys under the URL, as for a local copy of the bucket.
- **out** (``--out s3://bucket/clean``): the run works on a local copy in
  ``$DOCCLEAN_CACHE/out/<hash of URL>/`` (brought up to date from the
  manifest first), commits there as any local run, then uploads each file
  it changed as a new object named by its content
  (``documents/part-000002.<hash>.parquet``) and writes ``_manifest.json``
  last, conditionally on the manifest it started from.

Why a manifest: an object store has no atomic rename of many files, but one
PUT of one object is atomic. Readers read the manifest and then exactly the
objects it lists, which never change; a run cut short before its manifest
leaves the previous one, and every object it lists, as they were. Objects a
manifest stops listing are deleted one run later, so a reader still on the
previous manifest can finish. `read_table` and ``docclean parts`` give
readers the list.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from pipeline import store
from pipeline.core.schema import SCHEMA_VERSION
from pipeline.store import delta
from pipeline.store.layout import OutputError
from pipeline.store.lease import Lease, leased
from pipeline.store.local_copy import SYNCED_NAME, cache_folder, download, load_json, save_json, sync_raw
from pipeline.store.objects import Conflict, Objects, check_reachable, describe_failure, filesystem, is_url, normalized

MANIFEST_NAME = "_manifest.json"
MANIFEST_FORMAT = "docclean-manifest/1"


def object_name(relative: str, digest: str) -> str:
    """The immutable object a file of the output is uploaded as: its content hash in the name.

    >>> object_name("documents/part-000002.parquet", "0123456789abcdef0123")
    'documents/part-000002.0123456789abcdef.parquet'
    """
    path = PurePosixPath(relative)
    return str(path.with_name(f"{path.stem}.{digest[:16]}{path.suffix}"))


def _published(copy: Path) -> list[str]:
    """The committed files of a local output (no lock, journal, staging or temp files)."""
    found = []
    for path in copy.rglob("*"):
        rel = path.relative_to(copy).as_posix()
        if path.is_file() and not any(
            part.startswith(".") or part.endswith(store.TEMP_SUFFIX) or part == delta.LOG_NAME
            for part in rel.split("/")
        ):
            found.append(rel)
    return sorted(found)


def _file_hash(path: Path) -> str:
    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class RemoteOutput:
    """An output at a URL, its local working copy, and the manifest the run started from."""

    url: str
    objects: Objects
    copy: Path
    lease: Lease | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    tag: str | None = None

    @property
    def record_path(self) -> Path:
        return self.copy.parent / SYNCED_NAME

    def pull(self, tell: Callable[[str], None] | None = None) -> None:
        """Make the local copy exactly what the manifest lists (downloading only what differs)."""
        found = self.objects.get(MANIFEST_NAME)
        self.manifest, self.tag = (json.loads(found[0]), found[1]) if found else ({}, None)
        if found and self.manifest.get("format") != MANIFEST_FORMAT:
            raise OutputError(
                f"{self.url}/{MANIFEST_NAME} is not a docclean manifest ({self.manifest.get('format')!r})"
            )
        files = self.manifest.get("files", {})
        if not found:
            self._refuse_foreign()
        self.copy.mkdir(parents=True, exist_ok=True)
        record = load_json(self.record_path).get("files", {})
        for path in sorted(self.copy.rglob("*"), reverse=True):
            rel = path.relative_to(self.copy).as_posix()
            if rel == store.LOCK_NAME:
                continue
            if path.is_dir():
                if rel.startswith(".") or not any(path.iterdir()):
                    shutil.rmtree(path)
            elif rel not in files or not self._intact(path, record.get(rel), files[rel]["xxh3_128"]):
                # Whatever the manifest does not list (a crashed run's journal or
                # staging included) goes: the store is the truth, not this copy.
                path.unlink()
                record.pop(rel, None)
        missing = [rel for rel in files if not (self.copy / rel).is_file()]
        for rel in missing:
            (self.copy / rel).parent.mkdir(parents=True, exist_ok=True)
        if missing:
            download(
                self.objects.fs,
                self.url,
                [
                    (f"{self.objects.root}/{files[rel]['object']}", self.copy / rel, files[rel]["size"])
                    for rel in missing
                ],
                tell,
            )
        for rel in missing:
            info = (self.copy / rel).stat()
            record[rel] = [info.st_size, info.st_mtime_ns, files[rel]["xxh3_128"]]
        save_json(self.record_path, {"url": self.url, "files": record})

    @staticmethod
    def _intact(path: Path, recorded: list[Any] | None, digest: str) -> bool:
        info = path.stat()
        return recorded == [info.st_size, info.st_mtime_ns, digest]

    def _refuse_foreign(self) -> None:
        """An output URL with no manifest must hold nothing but what docclean writes (a first run cut short)."""
        ours = {
            name.split(".")[0]
            for name in (
                *store.TABLES,
                store.LEDGER,
                store.TEMPLATES,
                store.RUNS,
                store.SUMMARY_NAME,
                store.CARD_NAME,
                "_lease.json",
            )
        }
        for key in self.objects.fs.find(self.objects.root):
            top = key[len(self.objects.root) :].lstrip("/").split("/", 1)[0]
            if top and top.split(".")[0] not in ours:
                raise OutputError(
                    f"{self.url} holds other objects ({key!r}) and no docclean manifest; "
                    "give an empty prefix or one an earlier docclean run wrote (--out)"
                )

    def _table_url(self, name: str) -> str:
        # delta-rs names S3 s3:// (s3a:// is Hadoop's name for the same store).
        return f"s3://{self.url.split('://', 1)[1].rstrip('/')}/{name}"

    def _delta_tables(self, files: dict[str, dict[str, Any]]) -> dict[str, tuple[list[str], Callable]]:
        """Each Delta table's objects (paths under the table's prefix) and how to describe one (`delta.DataFile`).

        Rows come from the part's footer in the local copy, read only for an
        object the log adds. S3 only: delta-rs is given the credentials docclean
        uses there; other stores get no Delta log (their tables are read through the manifest).
        """
        if not self.url.startswith(("s3://", "s3a://")):
            return {}
        stamp = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
        tables = {}
        for name in delta.DELTA_TABLES:
            listed = {
                entry["object"][len(name) + 1 :]: (rel, entry["size"])
                for rel, entry in files.items()
                if rel.startswith(f"{name}/part-") and rel.endswith(".parquet")
            }

            def describe(path: str, listed=listed) -> delta.DataFile:
                rel, size = listed[path]
                return delta.described(path, size, stamp, self.copy / rel)

            tables[name] = (sorted(listed), describe)
        return tables

    def _sync_delta(self, tables: dict[str, tuple[list[str], Callable]], run: int, commit: bool = True) -> dict:
        """`delta.sync` each table of `_delta_tables`; its version, by table name."""
        options = delta.s3_storage_options() if tables else {}
        return {
            name: delta.sync(
                self._table_url(name), paths, describe, delta.DELTA_TABLES[name], run, options, commit=commit
            )
            for name, (paths, describe) in tables.items()
        }

    def catch_up_delta(self) -> None:
        """Bring each table's Delta log to the manifest pulled (a run cut short after its manifest left it behind).

        Call after `pull`, holding the lease: the row counts come from the local copy.
        """
        summary = store.read_summary(self.copy) if self.manifest.get("files") else None
        # An output of an older schema is rebuilt with --full, which writes its log anew.
        if summary is not None and summary.get("schema_version") == SCHEMA_VERSION:
            self._sync_delta(self._delta_tables(self.manifest["files"]), int(self.manifest.get("run") or 0))

    def push(self, run: int) -> dict[str, Any]:
        """Upload what the run changed, then commit the new manifest; return it."""
        record = load_json(self.record_path).get("files", {})
        files: dict[str, dict[str, Any]] = {}
        for rel in _published(self.copy):
            info = (self.copy / rel).stat()
            known = record.get(rel)
            digest = (
                known[2] if known and known[:2] == [info.st_size, info.st_mtime_ns] else _file_hash(self.copy / rel)
            )
            record[rel] = [info.st_size, info.st_mtime_ns, digest]
            files[rel] = {"object": object_name(rel, digest), "size": info.st_size, "xxh3_128": digest}
        before = {entry["object"] for entry in self.manifest.get("files", {}).values()}
        upload = [rel for rel, entry in files.items() if entry["object"] not in before]
        if upload:
            self.objects.fs.put(
                [str(self.copy / rel) for rel in upload],
                [f"{self.objects.root}/{files[rel]['object']}" for rel in upload],
            )
        now = {entry["object"] for entry in files.values()}
        tables = self._delta_tables(files)
        manifest = {
            "format": MANIFEST_FORMAT,
            "run": run,
            "committed_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "files": files,
            "retired": sorted(before - now),
            # The version each table's Delta log gets for this run (`pipeline.store.delta`).
            "delta_versions": self._sync_delta(tables, run, commit=False),
        }
        if self.lease is not None and self.lease.lost:
            raise OutputError(
                f"this run lost its lease on {self.url} (it was not renewed in time); nothing was "
                "committed there. Run again"
            )
        try:
            self.tag = self.objects.put(
                MANIFEST_NAME, json.dumps(manifest, indent=1, sort_keys=True).encode(), replacing=self.tag
            )
        except Conflict:
            raise OutputError(
                f"another run committed to {self.url} while this one ran; this run's objects are "
                "not listed and nothing it wrote is visible. Run again"
            ) from None
        # The logs follow the manifest; a crash before they do is made good by the next run (`catch_up_delta`).
        self._sync_delta(tables, run)
        # Readers still on the manifest before last have had a whole run to finish.
        for name in sorted(set(self.manifest.get("retired", [])) - now):
            self.objects.delete(name)
        self.manifest = manifest
        save_json(self.record_path, {"url": self.url, "files": record})
        return manifest


@dataclass
class Places:
    """The local folders a run works on, the names it reports, and the output's remote side (if any)."""

    raw: Path
    out: Path
    raw_name: str
    out_name: str
    remote: RemoteOutput | None = None


def _overlap(raw: str, out: str) -> bool:
    a, b = raw.rstrip("/") + "/", out.rstrip("/") + "/"
    return a.startswith(b) or b.startswith(a)


@contextlib.contextmanager
def mirrored(
    raw: str | Path,
    out: str | Path,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
    notes: list[str] | None = None,
    writing: bool = True,
    tell: Callable[[str], None] | None = None,
) -> Iterator[Places]:
    """The local folders for a run over ``raw`` into ``out``, either of them maybe a URL.

    Every URL is checked (scheme installed, store reachable, credentials, bucket)
    before anything is read; an output URL is held by its lease for the block
    (unless not ``writing``: a dry run only looks).
    """
    notes = [] if notes is None else notes
    # S3:// is s3://: one spelling, one cache folder, one name in the summary.
    raw, out = (normalized(place) if isinstance(place, str) else place for place in (raw, out))
    if not is_url(raw) and not is_url(out):
        yield Places(Path(raw), Path(out), str(raw), str(out))
        return
    out_fs = None
    if is_url(out):
        out_fs, out_root = filesystem(str(out))
        check_reachable(str(out), out_fs, out_root)
    if is_url(raw):
        raw_fs, raw_root = filesystem(str(raw))
        check_reachable(str(raw), raw_fs, raw_root)
        if is_url(out) and _overlap(str(raw), str(out)):
            raise OutputError(f"output {out} and raw {raw} overlap; the output must be outside the raw prefix")
    hold = (
        leased(Objects(out_fs, out_root), str(out), wait_seconds, on_wait)
        if out_fs is not None and writing
        else contextlib.nullcontext()
    )
    with hold as lease:
        remote = None
        if out_fs is not None:
            remote = RemoteOutput(str(out), Objects(out_fs, out_root), cache_folder("out", str(out)) / "copy", lease)
            remote.pull(tell)
            if writing:
                remote.catch_up_delta()
        raw_path = sync_raw(str(raw), notes, tell) if is_url(raw) else Path(raw)
        yield Places(raw_path, remote.copy if remote else Path(out), str(raw), str(out), remote)


def local_output(url: str) -> Path:
    """A local copy of the output at ``url`` as its last commit left it, to read (``docclean explain``)."""
    url = normalized(url)
    fs, root = filesystem(url)
    check_reachable(url, fs, root)
    copy = RemoteOutput(url, Objects(fs, root), cache_folder("out", url) / "copy")
    copy.pull()
    return copy.copy


def manifest_of(url: str) -> dict[str, Any]:
    url = normalized(url)
    fs, root = filesystem(url)
    found = Objects(fs, root).get(MANIFEST_NAME)
    if found is None:
        raise FileNotFoundError(f"no docclean output at {url} (no {MANIFEST_NAME}); run docclean first")
    return json.loads(found[0])


def part_urls(url: str, table: str) -> list[str]:
    """The URLs of the parts of one table as the last commit lists them, in run order."""
    url = normalized(url)
    files = manifest_of(url)["files"]
    prefix = f"{table}/part-"
    return [f"{url.rstrip('/')}/{files[rel]['object']}" for rel in sorted(files) if rel.startswith(prefix)]


def listed_part_urls(url: str, table: str) -> list[str]:
    """`part_urls` for ``docclean parts``: a URL that cannot be used, an unreachable store, or no output there is
    an `OutputError` of one line."""
    url = normalized(url)
    fs, root = filesystem(url)
    check_reachable(url, fs, root)
    try:
        return part_urls(url, table)
    except OutputError:
        raise
    except FileNotFoundError as error:
        raise OutputError(str(error)) from None
    except (ValueError, KeyError, TypeError) as error:
        raise OutputError(
            f"{url}/{MANIFEST_NAME} is not a docclean manifest ({type(error).__name__}: {error}); "
            "give the URL of an output docclean wrote"
        ) from None
    except Exception as error:  # noqa: BLE001 - one line, not a traceback: the store failed us
        raise OutputError(describe_failure(url, error)) from None


def read_table(url: str, table: str, columns: list[str] | None = None) -> pa.Table:
    """One table of an output at a URL, read through its manifest (never a half-committed run)."""
    url = normalized(url)
    urls = part_urls(url, table)
    if not urls:
        raise FileNotFoundError(f"no {table} table in {url}; run docclean first")
    fs, _ = filesystem(url)
    tables = [pq.read_table(fs._strip_protocol(u), columns=columns, filesystem=fs) for u in urls]
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]
