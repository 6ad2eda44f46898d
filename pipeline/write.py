"""The ``write`` stage: staging files per batch, then one atomic publish.

Batches are written as they finish to a hidden staging folder inside the
output folder (readers never see it: pyarrow datasets skip names starting
with '.'). Once cross-page dedup has decided, `publish` turns the staged
batches into this run's parts of each table, rewrites the earlier parts that
dedup changed (a kept copy replaced by a better new one, rows of a raw file
that changed) and commits all of it at once through `store.commit`. The
layout of the output folder is described in `pipeline.store`.
"""

from __future__ import annotations

import collections
import datetime
import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import ledger, store
from pipeline.config import Config
from pipeline.dedup import Clustering, Earlier
from pipeline.document import Document
from pipeline.schema import (
    DOCUMENTS,
    DUPLICATE_KINDS,
    DUPLICATES,
    REJECTS,
    SCHEMA_VERSION,
    signatures_schema,
)
from pipeline.store import (
    COMPRESSION,
    LEDGER,
    RUNS,
    STAGING_PREFIX,
    SUMMARY_NAME,
    TABLES,
)

DOCUMENT_COLUMNS = DOCUMENTS.names
LARGEST_CLUSTERS = 10

@dataclass(frozen=True)
class Staging:
    """Where one run keeps its batches until publish."""

    out_dir: Path
    path: Path

    def part(self, kind: str, index: int) -> Path:
        return self.path / f"{kind}-{index:06d}.parquet"

    def parts(self, kind: str) -> list[Path]:
        return sorted(self.path.glob(f"{kind}-*.parquet"))


def open_staging(out_dir: Path) -> Staging:
    """A fresh staging folder; call with the output lock held."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    path.mkdir()
    return Staging(out_dir, path)


def document_table(docs: Sequence[Document]) -> pa.Table:
    """The cleaned documents of a batch as rows of the documents table."""
    rows = [d for d in docs if not d.rejected]

    def count(stage: str, kind: str | None = None) -> pa.Array:
        return pa.array([len(d.removed(stage, kind)) for d in rows], pa.int32())

    columns: dict[str, Any] = {
        "doc_id": [d.doc_id for d in rows],
        "source_path": [d.source_path for d in rows],
        "source_line": [d.source_line for d in rows],
        "source_id": [d.source_id for d in rows],
        "url": [d.url for d in rows],
        "title": [d.title for d in rows],
        "date": [d.date for d in rows],
        "publication": [d.publication for d in rows],
        "section": [d.section for d in rows],
        "byline_role": [d.byline_role for d in rows],
        "authors": [list(d.authors) for d in rows],
        "pages": [list(d.pages) for d in rows],
        "continued_from": [list(d.continued_from) for d in rows],
        "text": [d.text for d in rows],
        "paragraph_count": [len(d.paragraphs) for d in rows],
        "char_count": [d.char_count for d in rows],
        "encoding": [d.encoding for d in rows],
        "flags": [list(d.flags) for d in rows],
        "unrecoverable_chars": [d.unrecoverable_chars for d in rows],
        "markers_removed": count("strip", "page_jump"),
        "separators_removed": count("strip", "separator_line"),
        "header_lines_removed": count("extract"),
        "repeated_blocks_removed": count("page_dedup"),
        "repeated_chars_removed": [sum(len(r.text) for r in d.removed("page_dedup")) for d in rows],
        "extra": [d.extra for d in rows],
    }
    return pa.table(columns, schema=DOCUMENTS)


def reject_table(docs: Sequence[Document]) -> pa.Table:
    rows = [d for d in docs if d.rejected]
    return pa.table(
        {
            "doc_id": [d.doc_id for d in rows],
            "source_path": [d.source_path for d in rows],
            "source_line": [d.source_line for d in rows],
            "source_id": [d.source_id for d in rows],
            "reason": [d.reject for d in rows],
            "detail": [d.reject_detail or "" for d in rows],
            "size_bytes": [d.size_bytes for d in rows],
        },
        schema=REJECTS,
    )


def stage_batch(staging: Staging, index: int, docs: Sequence[Document], signatures: pa.Table) -> dict[str, int]:
    """Write one cleaned batch to staging; return its counts."""
    documents, rejects = document_table(docs), reject_table(docs)
    if documents.num_rows != signatures.num_rows:
        raise ValueError(f"batch {index}: {documents.num_rows} documents but {signatures.num_rows} signatures")
    for kind, table in (("documents", documents), ("rejects", rejects), ("signatures", signatures)):
        pq.write_table(table, staging.part(kind, index), compression=COMPRESSION)
    return {"records": len(docs), "cleaned": documents.num_rows, "rejected": rejects.num_rows}


def read_staged_signatures(staging: Staging, config: Config) -> pa.Table:
    schema = signatures_schema(config.num_perm, config.lsh_bands)
    parts = [pq.read_table(p, schema=schema) for p in staging.parts("signatures")]
    return pa.concat_tables(parts) if parts else schema.empty_table()


def read_earlier(out_dir: Path, config: Config, changed_paths: Iterable[str]) -> Earlier:
    """The dedup index earlier runs left, minus the rows of raw files that changed."""
    schema = signatures_schema(config.num_perm, config.lsh_bands)
    signatures = [pq.read_table(p, schema=schema) for p in store.parts(out_dir, "signatures")]
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
        pa.concat_tables(signatures) if signatures else schema.empty_table(),
        duplicate_of,
        frozenset(removed),
    )


class _PartWriter:
    """This run's new part of one table, written to a hidden temp file as rows come."""

    def __init__(self, final: Path, schema: pa.Schema) -> None:
        self.final, self.schema = final, schema
        self.temp: Path | None = None
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self.writer is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.temp = store.temp_path(self.final)
            self.writer = pq.ParquetWriter(self.temp, self.schema, compression=COMPRESSION)
        self.writer.write_table(table.select(self.schema.names).cast(self.schema))
        self.rows += table.num_rows

    def finish(self, even_if_empty: bool) -> Path | None:
        """Close and sync; an empty part is written only when asked (a table needs one file)."""
        if self.writer is None:
            if not even_if_empty:
                return None
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.temp = store.temp_path(self.final)
            pq.write_table(self.schema.empty_table(), self.temp, compression=COMPRESSION)
            store.fsync_file(self.temp)
            return self.temp
        self.writer.close()
        store.fsync_file(self.temp)
        return self.temp

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)


def _as_duplicates(rows: pa.Table, decided: pa.Table) -> pa.Table:
    """Document rows plus their dedup decision, as rows of the duplicates table."""
    table = rows.select(DOCUMENT_COLUMNS)
    for name in ("duplicate_of", "similarity", "kind"):
        table = table.append_column(name, decided.column(name))
    return table


def _lookup(changes: pa.Table, ids: pa.ChunkedArray | pa.Array) -> pa.Table:
    """The rows of ``changes`` for ``ids``, in that order."""
    index = pc.index_in(ids, value_set=changes.column("doc_id"))
    return changes.take(index)


def _rewrite(part: Path, keep: pa.Array, replace: list, delete: list) -> None:
    """Rewrite one earlier part without the rows ``keep`` drops (or delete it if none stay)."""
    table = pq.read_table(part)
    kept = table.filter(keep)
    if kept.num_rows == 0:
        delete.append(part)
        return
    temp = store.temp_path(part)
    pq.write_table(kept, temp, compression=COMPRESSION)
    store.fsync_file(temp)
    replace.append((temp, part))


def publish(
    staging: Staging,
    clustering: Clustering,
    plan: ledger.Plan,
    earlier: Earlier | None,
    config: Config,
    run: int,
    facts: dict[str, Any],
    prints: dict[str, ledger.Fingerprint],
) -> tuple[dict[str, Any], list, list]:
    """Prepare this run's commit: new parts, rewritten earlier parts, ledger, run report.

    ``earlier`` is None for a full rebuild: every earlier part is replaced.
    ``prints`` are the fingerprints of the files read (`chain.clean_and_stage`).
    Everything is written to hidden temp files; nothing visible changes until
    `commit`. Returns the run summary and the (temp, final) renames and
    deletions for `commit`.
    """
    # Arrow's allocator keeps freed memory for reuse, and the dedup step just
    # freed every signature (1.4 GiB at a million documents): hand it back
    # before the documents are copied, or the process keeps both.
    pa.default_memory_pool().release_unused()
    out = staging.out_dir
    sig_schema = signatures_schema(config.num_perm, config.lsh_bands)
    schemas = {"documents": DOCUMENTS, "duplicates": DUPLICATES, "rejects": REJECTS, "signatures": sig_schema}
    writers = {name: _PartWriter(store.part_path(out, name, run), schema) for name, schema in schemas.items()}
    replace: list[tuple[Path, Path]] = []
    delete: list[Path] = []
    counts: collections.Counter = collections.Counter()
    reasons: collections.Counter = collections.Counter()
    flags: collections.Counter = collections.Counter()
    records_by_path: collections.Counter = collections.Counter()
    titles: dict[str, tuple[str | None, str]] = {}
    wanted = {kept for kept, _, _ in clustering.clusters[:LARGEST_CLUSTERS]}
    try:
        offset = 0
        decisions = clustering.decisions
        for part in staging.parts("documents"):
            batch = pq.read_table(part, schema=DOCUMENTS)
            decided = decisions.slice(offset, batch.num_rows)
            offset += batch.num_rows
            if batch.column("doc_id") != decided.column("doc_id"):
                raise ValueError(f"{part.name}: documents and dedup decisions are out of step")
            is_duplicate = pc.is_valid(decided.column("duplicate_of"))
            writers["documents"].write(batch.filter(pc.invert(is_duplicate)))
            duplicates = _as_duplicates(batch.filter(is_duplicate), decided.filter(is_duplicate))
            writers["duplicates"].write(duplicates)
            ids = batch.column("doc_id").to_pylist()
            records_by_path.update(batch.column("source_path").to_pylist())
            for doc_id, title, source in zip(ids, batch.column("title").to_pylist(), batch.column("source_path").to_pylist()):
                if doc_id in wanted:
                    titles[doc_id] = (title, source)
            for row_flags in batch.column("flags").to_pylist():
                flags.update(row_flags)
            counts["repeated_blocks"] += pc.sum(batch.column("repeated_blocks_removed")).as_py() or 0
            counts.update(f"kind:{kind}" for kind in duplicates.column("kind").to_pylist())
        counts["of_earlier"] = _copies_of_earlier(decisions)
        if offset != decisions.num_rows:
            raise ValueError(f"{decisions.num_rows} dedup decisions for {offset} staged documents")
        for part in staging.parts("rejects"):
            table = pq.read_table(part, schema=REJECTS)
            writers["rejects"].write(table)
            reasons.update(table.column("reason").to_pylist())
            records_by_path.update(table.column("source_path").to_pylist())
        for part in staging.parts("signatures"):
            writers["signatures"].write(pq.read_table(part, schema=sig_schema))

        if earlier is None:
            for name in TABLES:
                delete.extend(store.parts(out, name))
        else:
            _rework_earlier(out, clustering.changes, earlier.removed, set(plan.changed), writers, replace, delete, counts)
        if wanted - titles.keys():
            titles.update(_titles(out, wanted - titles.keys()))

        earlier_ledger = None
        if earlier is not None and store.parts(out, LEDGER):
            earlier_ledger = store.read_table(out, LEDGER)
        files_table = ledger.ledger_table(prints, records_by_path, run, earlier_ledger)
        ledger_final = store.part_path(out, LEDGER, 0)
        ledger_temp = store.temp_path(ledger_final)
        ledger_final.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(files_table, ledger_temp, compression=COMPRESSION)
        store.fsync_file(ledger_temp)
        replace.append((ledger_temp, ledger_final))

        for name, writer in writers.items():
            remaining = [p for p in store.parts(out, name) if p not in delete]
            temp = writer.finish(even_if_empty=not remaining)
            if temp is not None:
                replace.append((temp, writer.final))
    except BaseException:
        for writer in writers.values():
            writer.abort()
        for temp, _ in replace:
            temp.unlink(missing_ok=True)
        raise

    totals = _totals_after(out, replace, delete)
    totals["records"] = int(pc.sum(files_table.column("records")).as_py() or 0)
    totals["files"] = files_table.num_rows
    records = facts.get("records", 0)
    summary = {
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **facts,
        "documents": writers["documents"].rows - counts["promoted"],
        "duplicates": writers["duplicates"].rows - counts["replaced_kept"] - counts["repointed"],
        "rejects": writers["rejects"].rows,
        "duplicates_by_kind": {
            **{kind: counts[f"kind:{kind}"] for kind in DUPLICATE_KINDS},
            "of_earlier_runs": counts["of_earlier"],
            "repeated_blocks_in_page": counts["repeated_blocks"],
        },
        "rejects_by_reason": dict(sorted(reasons.items())),
        "flags": dict(sorted(flags.items())),
        "earlier_rows": {
            "replaced_kept": counts["replaced_kept"],
            "repointed": counts["repointed"],
            "promoted": counts["promoted"],
            "removed_changed_files": counts["removed"],
        },
        "swaps": [
            {"doc_id": doc_id, "replaced_by": replaced_by}
            for doc_id, replaced_by in sorted(_swaps(clustering.changes))
        ],
        "largest_clusters": [
            {"kept": kept, "title": titles.get(kept, (None, ""))[0], "source_path": titles.get(kept, (None, ""))[1],
             "size": size, "new_members": new}
            for kept, size, new in clustering.clusters[:LARGEST_CLUSTERS]
        ],
        "totals": totals,
        "config": config.to_mapping(),
        "output_settings": config.output_settings(),
    }
    summary["counts_add_up"] = (
        records == summary["documents"] + summary["duplicates"] + summary["rejects"]
        and totals["records"] == totals["documents"] + totals["duplicates"] + totals["rejects"]
    )
    if not summary["counts_add_up"]:
        for temp, _ in replace:
            temp.unlink(missing_ok=True)
        raise RuntimeError(
            f"counts do not add up: {records} records read, {summary['documents']} + {summary['duplicates']} + "
            f"{summary['rejects']} written; totals {totals}. Nothing was published."
        )
    return summary, replace, delete


def _copies_of_earlier(decisions: pa.Table) -> int:
    """New documents that are copies of a document of an earlier run (their kept copy is not new)."""
    kept = decisions.column("duplicate_of").drop_null()
    return len(kept) - pc.sum(pc.is_in(kept, value_set=decisions.column("doc_id"))).as_py() if len(kept) else 0


def commit(staging: Staging, summary: dict[str, Any], replace: list, delete: list) -> dict[str, Any]:
    """Write the run report beside the tables and make the whole run visible at once."""
    out = staging.out_dir
    if store.pending(out):
        # An earlier attempt got as far as deciding the commit: finish that one.
        store.finish_pending(out)
        shutil.rmtree(staging.path, ignore_errors=True)
        return summary
    text = json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n"
    run_file = out / RUNS / f"run-{summary['run']:06d}.json"
    replace = [*replace, (store.write_text_temp(run_file, text), run_file)]
    replace.append((store.write_text_temp(out / SUMMARY_NAME, text), out / SUMMARY_NAME))
    store.commit(out, replace, delete)
    shutil.rmtree(staging.path, ignore_errors=True)
    return summary


def _swaps(changes: pa.Table) -> list[tuple[str, str]]:
    was_kept = pc.is_null(changes.column("was_duplicate_of"))
    swapped = changes.filter(pc.and_(was_kept, pc.is_valid(changes.column("duplicate_of"))))
    return list(zip(swapped.column("doc_id").to_pylist(), swapped.column("duplicate_of").to_pylist()))


def _rework_earlier(
    out: Path,
    changes: pa.Table,
    removed: frozenset[str],
    changed_paths: set[str],
    writers: dict[str, _PartWriter],
    replace: list,
    delete: list,
    counts: collections.Counter,
) -> None:
    """Take the rows dedup moved, and the rows of changed raw files, out of earlier parts.

    Moved rows go into this run's parts: a kept copy that a new copy replaces
    becomes a duplicate, a duplicate whose kept copy changed is re-pointed (or
    promoted to kept when its cluster has no better copy left).
    """
    changed_ids = changes.column("doc_id")
    gone = pa.array(sorted(removed), pa.string())
    for name in ("documents", "duplicates"):
        for part in store.parts(out, name):
            ids = pq.read_table(part, columns=["doc_id"]).column("doc_id")
            moving = pc.is_in(ids, value_set=changed_ids)
            leaving = pc.is_in(ids, value_set=gone)
            if not (pc.any(moving).as_py() or pc.any(leaving).as_py()):
                continue
            table = pq.read_table(part)
            moved = table.filter(moving)
            decided = _lookup(changes, moved.column("doc_id"))
            now_kept = pc.is_null(decided.column("duplicate_of"))
            writers["documents"].write(moved.filter(now_kept))
            writers["duplicates"].write(_as_duplicates(moved.filter(pc.invert(now_kept)), decided.filter(pc.invert(now_kept))))
            # A part can lose rows of a changed file without any row moving:
            # every count must hold for an empty selection too.
            kept_now = _true_count(now_kept)
            if name == "documents":
                counts["replaced_kept"] += moved.num_rows - kept_now
            else:
                counts["promoted"] += kept_now
                counts["repointed"] += moved.num_rows - kept_now
            counts["removed"] += _true_count(leaving)
            _rewrite(part, pc.invert(pc.or_(moving, leaving)), replace, delete)
    if changed_paths:
        paths = pa.array(sorted(changed_paths), pa.string())
        for part in store.parts(out, "rejects"):
            leaving = pc.is_in(pq.read_table(part, columns=["source_path"]).column("source_path"), value_set=paths)
            if pc.any(leaving).as_py():
                counts["removed"] += _true_count(leaving)
                _rewrite(part, pc.invert(leaving), replace, delete)
    if len(gone):
        for part in store.parts(out, "signatures"):
            leaving = pc.is_in(pq.read_table(part, columns=["doc_id"]).column("doc_id"), value_set=gone)
            if pc.any(leaving).as_py():
                _rewrite(part, pc.invert(leaving), replace, delete)


def _true_count(mask: pa.Array | pa.ChunkedArray) -> int:
    """How many values of a boolean mask are true; 0 for an empty mask (where ``pc.sum`` gives null).

    >>> _true_count(pa.array([], pa.bool_())), _true_count(pa.array([True, False, True]))
    (0, 2)
    """
    return int(pc.sum(mask).as_py() or 0)


def _titles(out: Path, ids: set[str]) -> dict[str, tuple[str | None, str]]:
    found: dict[str, tuple[str | None, str]] = {}
    wanted = pa.array(sorted(ids), pa.string())
    for name in ("documents", "duplicates"):
        for part in store.parts(out, name):
            table = pq.read_table(part, columns=["doc_id", "title", "source_path"])
            table = table.filter(pc.is_in(table.column("doc_id"), value_set=wanted))
            for doc_id, title, source in zip(*(table.column(c).to_pylist() for c in ("doc_id", "title", "source_path"))):
                found[doc_id] = (title, source)
    return found


def _totals_after(out: Path, replace: list, delete: list) -> dict[str, int]:
    """Rows in each table once the commit is applied."""
    pending = {final: temp for temp, final in replace}
    totals = {}
    for name in ("documents", "duplicates", "rejects"):
        finals = {p for p in store.parts(out, name) if p not in delete} | {f for f in pending if f.parent.name == name}
        totals[name] = sum(pq.ParquetFile(pending.get(f, f)).metadata.num_rows for f in finals)
    return totals
