"""The ``write`` stage: staging files per batch, then an atomic publish.

Batches are written as they finish to a hidden staging folder inside the
output folder (readers of the output never see it: pyarrow datasets skip
names starting with '.'). Once cross-page dedup has decided, `publish`
streams the staged batches into the final tables, each first written to a
hidden temporary file and then moved into place with one `os.replace`, so a
table is always either the previous complete file or the new complete file.
``summary.json`` is replaced last.

Output layout::

    OUT/documents/part-00000.parquet   one row per kept article
    OUT/duplicates/part-00000.parquet  one row per dropped copy
    OUT/rejects/part-00000.parquet     one row per input that is not an article
    OUT/signatures/part-00000.parquet  MinHash + band keys of every article
    OUT/summary.json                   counts (they add up) and run facts
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.config import Config
from pipeline.document import Document
from pipeline.schema import (
    DOCUMENT_FIELDS,
    DOCUMENTS,
    DUPLICATES,
    REJECTS,
    SCHEMA_VERSION,
    signatures_schema,
)

TABLES = ("documents", "duplicates", "rejects", "signatures")
PART_NAME = "part-00000.parquet"
SUMMARY_NAME = "summary.json"
STAGING_PREFIX = ".staging-"
STAGED_DOCUMENTS = pa.schema(DOCUMENT_FIELDS, metadata=DOCUMENTS.metadata)
COMPRESSION = "zstd"


class OutputError(ValueError):
    """The raw/output folders cannot be used as given; the message says why."""


@dataclass(frozen=True)
class Staging:
    """Where one run keeps its batches until publish."""

    out_dir: Path
    path: Path

    def part(self, kind: str, index: int) -> Path:
        return self.path / f"{kind}-{index:06d}.parquet"

    def parts(self, kind: str) -> list[Path]:
        return sorted(self.path.glob(f"{kind}-*.parquet"))


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


def open_staging(raw_dir: Path, out_dir: Path) -> Staging:
    check_folders(raw_dir, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(STAGING_PREFIX + "*"):
        # Left by a run that crashed; its published output is untouched.
        shutil.rmtree(stale, ignore_errors=True)
    path = out_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    path.mkdir()
    return Staging(out_dir, path)


def document_table(docs: Sequence[Document]) -> pa.Table:
    """Kept documents of a batch as rows of the documents table, without cluster columns."""
    rows = [d for d in docs if not d.rejected]

    def count(stage: str, kind: str | None = None) -> pa.Array:
        return pa.array([len(d.removed(stage, kind)) for d in rows], pa.int32())

    columns: dict[str, Any] = {
        "doc_id": [d.doc_id for d in rows],
        "source_path": [d.source_path for d in rows],
        "source_line": [d.source_line for d in rows],
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
    }
    return pa.table(columns, schema=STAGED_DOCUMENTS)


def reject_table(docs: Sequence[Document]) -> pa.Table:
    rows = [d for d in docs if d.rejected]
    return pa.table(
        {
            "doc_id": [d.doc_id for d in rows],
            "source_path": [d.source_path for d in rows],
            "source_line": [d.source_line for d in rows],
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


def _atomic_writer(final: Path, schema: pa.Schema) -> tuple[pq.ParquetWriter, Path]:
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.parent / f".{final.name}.{uuid.uuid4().hex[:8]}.tmp"
    return pq.ParquetWriter(temp, schema, compression=COMPRESSION), temp


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def publish(staging: Staging, decisions: pa.Table, config: Config, run_facts: dict[str, Any]) -> dict[str, Any]:
    """Turn staged batches plus dedup decisions into the output tables and summary."""
    out = staging.out_dir
    sig_schema = signatures_schema(config.num_perm, config.lsh_bands)
    writers = {
        "documents": _atomic_writer(out / "documents" / PART_NAME, DOCUMENTS),
        "duplicates": _atomic_writer(out / "duplicates" / PART_NAME, DUPLICATES),
        "rejects": _atomic_writer(out / "rejects" / PART_NAME, REJECTS),
        "signatures": _atomic_writer(out / "signatures" / PART_NAME, sig_schema),
    }
    counts = collections.Counter()
    reasons: collections.Counter = collections.Counter()
    flags: collections.Counter = collections.Counter()
    try:
        offset = 0
        for part in staging.parts("documents"):
            batch = pq.read_table(part, schema=STAGED_DOCUMENTS)
            decided = decisions.slice(offset, batch.num_rows)
            offset += batch.num_rows
            if batch.column("doc_id") != decided.column("doc_id"):
                raise ValueError(f"{part.name}: documents and dedup decisions are out of step")
            _write_split(batch, decided, writers, counts)
            for row_flags in batch.column("flags").to_pylist():
                flags.update(row_flags)
        if offset != decisions.num_rows:
            raise ValueError(f"{decisions.num_rows} dedup decisions for {offset} staged documents")
        for part in staging.parts("rejects"):
            table = pq.read_table(part, schema=REJECTS)
            writers["rejects"][0].write_table(table)
            counts["rejects"] += table.num_rows
            reasons.update(table.column("reason").to_pylist())
        for part in staging.parts("signatures"):
            writers["signatures"][0].write_table(pq.read_table(part, schema=sig_schema))
    except BaseException:
        for writer, temp in writers.values():
            writer.close()
            temp.unlink(missing_ok=True)
        raise
    for writer, temp in writers.values():
        writer.close()
        _fsync(temp)

    records = run_facts.get("records", 0)
    summary = {
        "schema_version": SCHEMA_VERSION,
        **run_facts,
        "documents": counts["documents"],
        "duplicates": counts["duplicates"],
        "rejects": counts["rejects"],
        "rejects_by_reason": dict(sorted(reasons.items())),
        "flags": dict(sorted(flags.items())),
        "counts_add_up": records == counts["documents"] + counts["duplicates"] + counts["rejects"],
        "config": config.to_mapping(),
    }
    if not summary["counts_add_up"]:
        raise RuntimeError(f"counts do not add up: {records} records read but {dict(counts)} written")

    # Every table is complete on disk; now swap them in, the summary last.
    for name, (_, temp) in writers.items():
        os.replace(temp, out / name / PART_NAME)
    temp_summary = out / f".{SUMMARY_NAME}.tmp"
    temp_summary.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(temp_summary, out / SUMMARY_NAME)
    shutil.rmtree(staging.path, ignore_errors=True)
    return summary


def _write_split(batch: pa.Table, decided: pa.Table, writers: dict, counts: collections.Counter) -> None:
    is_duplicate = pc.is_valid(decided.column("duplicate_of"))
    kept = batch.filter(pc.invert(is_duplicate))
    kept_decided = decided.filter(pc.invert(is_duplicate))
    documents = kept.append_column("cluster_id", kept_decided.column("cluster_id")).append_column(
        "cluster_size", kept_decided.column("cluster_size")
    )
    writers["documents"][0].write_table(documents.cast(DOCUMENTS))
    counts["documents"] += documents.num_rows

    dupes = batch.filter(is_duplicate)
    dupes_decided = decided.filter(is_duplicate)
    duplicates = pa.table(
        {
            "doc_id": dupes.column("doc_id"),
            "source_path": dupes.column("source_path"),
            "source_line": dupes.column("source_line"),
            "title": dupes.column("title"),
            "date": dupes.column("date"),
            "char_count": dupes.column("char_count"),
            "duplicate_of": dupes_decided.column("duplicate_of"),
            "cluster_id": dupes_decided.column("cluster_id"),
            "similarity": dupes_decided.column("similarity"),
        },
        schema=DUPLICATES,
    )
    writers["duplicates"][0].write_table(duplicates)
    counts["duplicates"] += duplicates.num_rows


def read_table(out_dir: str | Path, name: str) -> pa.Table:
    """Read one published table (for tests, `inspect` and quick looks)."""
    return pq.read_table(Path(out_dir) / name / PART_NAME)
