"""Where a record went and why: `docclean explain DOC_ID|FILE`.

Every input record ends in exactly one table (documents, duplicates or
rejects). This module finds a record's row in an output, and with it what a
reader wants to know next: the kept copy and the similarity of a duplicate,
the copies a kept document stands for, the reason of a reject, and the counts
of what the stages removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import store
from pipeline.core.config import Config
from pipeline.core.document import (
    REJECT_BINARY,
    REJECT_EMPTY,
    REJECT_MALFORMED_JSON,
    REJECT_MISSING_TEXT,
    REJECT_NO_MAIN_TEXT,
    REJECT_SPECIAL_FILE,
    REJECT_SYMLINK_OUTSIDE_RAW,
    REJECT_SYMLINKED_FOLDER,
    REJECT_TOO_LARGE,
    REJECT_UNREADABLE,
    REJECT_UNSUPPORTED_FORMAT,
    Document,
)
from pipeline.dedup import index
from pipeline.learn.learned import Learned, learned_from
from pipeline.read.ingest import relative_name

TABLES = ("documents", "duplicates", "rejects")
# The columns that count what a stage took out of a document's text.
REMOVED_COUNTS = (
    "markers_removed",
    "separators_removed",
    "header_lines_removed",
    "boilerplate_removed",
    "repeated_blocks_removed",
    "repeated_chars_removed",
)
# Reasons a record gets while it is read, before any cleaning stage runs: nothing was removed from it.
# (``undecodable`` is not one: the filter stage gives it too, to a cleaned text of mostly U+FFFD.)
READ_REJECTS = frozenset(
    {
        REJECT_UNSUPPORTED_FORMAT,
        REJECT_EMPTY,
        REJECT_BINARY,
        REJECT_TOO_LARGE,
        REJECT_UNREADABLE,
        REJECT_MALFORMED_JSON,
        REJECT_MISSING_TEXT,
        REJECT_SPECIAL_FILE,
        REJECT_SYMLINK_OUTSIDE_RAW,
        REJECT_SYMLINKED_FOLDER,
        REJECT_NO_MAIN_TEXT,
    }
)
SHOWN = (
    "doc_id",
    "source_path",
    "source_line",
    "source_id",
    "title",
    "date",
    "publication",
    "char_count",
    "duplicate_of",
    "similarity",
    "kind",
    "reason",
    "detail",
    *REMOVED_COUNTS,
    "flags",
)


@dataclass
class Whereabouts:
    """One record's row, the table it is in, and the rows it is tied to."""

    table: str
    row: dict[str, Any]
    kept: dict[str, Any] | None = None
    copies: list[dict[str, Any]] = field(default_factory=list)


def names_root(path: Path, raw: Path, out: Path) -> Path:
    """The folder a raw file's ``source_path`` (and so its doc_id) is relative to, as `docclean run` names it.

    An output's first raw folder names the files of every folder added to it
    (``--add-raw``); without an output, the raw folder; else the file's own folder.

    >>> names_root(Path("/d/raw/a/b.txt"), Path("/d/raw"), Path("/nowhere"))
    PosixPath('/d/raw')
    """
    summary = store.read_summary(out) if out.is_dir() else None
    roots = (summary or {}).get("raw_roots") or []
    where = unresolved(path)
    if any(where.is_relative_to(Path(root).resolve()) for root in roots):
        return Path(roots[0]).resolve()
    if where.is_relative_to(raw.resolve()):
        return raw.resolve()
    return where.parent


def source_path_of(path: Path, out: Path, raw: Path) -> str:
    """A raw file's ``source_path`` as the output names it.

    >>> source_path_of(Path("/d/raw/a/b.txt"), Path("/nowhere"), Path("/d/raw"))
    'a/b.txt'
    """
    return relative_name(unresolved(path), names_root(path, raw, out))


def explain(out: Path, doc_id: str | None = None, source_path: str | None = None) -> list[Whereabouts]:
    """Every row of ``out`` for a doc_id, or for the records of one source file (a JSONL file has many)."""
    key, value = ("doc_id", doc_id) if doc_id is not None else ("source_path", source_path)
    found: list[Whereabouts] = []
    for table in TABLES:
        rows = _rows(out, table, pc.field(key) == value)
        found.extend(Whereabouts(table, row) for row in rows)
    # One lookup per table for all of them: a JSONL file may hold thousands of records.
    kept_ids = sorted({w.row["duplicate_of"] for w in found if w.table == "duplicates"})
    kept = {r["doc_id"]: r for r in _rows(out, "documents", pc.field("doc_id").isin(kept_ids))} if kept_ids else {}
    document_ids = sorted({w.row["doc_id"] for w in found if w.table == "documents"})
    copies: dict[str, list[dict[str, Any]]] = {}
    for row in _rows(out, "duplicates", pc.field("duplicate_of").isin(document_ids)) if document_ids else []:
        copies.setdefault(row["duplicate_of"], []).append(row)
    for where in found:
        if where.table == "duplicates":
            where.kept = kept.get(where.row["duplicate_of"])
        elif where.table == "documents":
            where.copies = copies.get(where.row["doc_id"], [])
    return sorted(found, key=lambda w: (w.row.get("source_line") or 0, TABLES.index(w.table)))


def _rows(out: Path, table: str, condition: Any) -> list[dict[str, Any]]:
    parts = store.parts(out, table)
    if not parts:
        return []
    import pyarrow.dataset as ds

    dataset = ds.dataset([str(p) for p in parts], format="parquet")
    columns = [c for c in SHOWN if c in dataset.schema.names]
    result: pa.Table = dataset.to_table(columns=columns, filter=condition)
    return result.to_pylist()


def learned_of(out: Path, config: Config) -> Learned | None:
    """The boilerplate templates an output's runs learned (None without an output or templates)."""
    support = index.read_templates(out) if out.is_dir() else None
    if support is None or not config.learn_boilerplate:
        return None
    return learned_from(support)


def cleaned_again(out: Path, found: list[Whereabouts], config: Config) -> dict[str, Document]:
    """The records cleaned again from their raw files, with the output's templates, by doc_id: what each stage removed.

    Each file is read once, however many of its records were asked about. A
    record whose file is gone, or changed since (its text is not what the
    output holds; a reject's reason or detail is not the one recorded), is
    left out, and so is a record rejected while being read (nothing was
    removed from it: see `removal_note`).
    """
    summary = store.read_summary(out) or {}
    roots = summary.get("raw_roots") or []
    paths = sorted({w.row["source_path"] for w in found if not rejected_at_reading(w)})
    if not roots or not paths:
        return {}
    from pipeline.chain import clean_files

    root = Path(roots[0])
    files = [root / name for name in paths if (root / name).is_file()]
    if not files:
        return {}
    expected = {w.row["doc_id"]: w for w in found if not rejected_at_reading(w)}
    docs = clean_files(files, root, config, learned_of(out, config), names_from=root)
    return {d.doc_id: d for d in docs if d.doc_id in expected and _as_recorded(d, expected[d.doc_id])}


def _as_recorded(doc: Document, where: Whereabouts) -> bool:
    """Whether a record cleaned again ends as the output recorded it (else its file changed, or the options)."""
    if where.table == "rejects":
        return doc.reject == where.row.get("reason") and doc.reject_detail == where.row.get("detail")
    return not doc.rejected and doc.char_count == where.row.get("char_count")


def rejected_at_reading(where: Whereabouts) -> bool:
    """Whether the record was rejected while being read, before any cleaning stage could remove anything."""
    return where.table == "rejects" and where.row.get("reason") in READ_REJECTS


def removal_note(where: Whereabouts, doc: Document | None) -> str | None:
    """The line `docclean explain` prints about the pieces the stages removed, before them or instead of them.

    None where the pieces follow without a word (a kept document or a
    duplicate cleaned again).

    >>> removal_note(Whereabouts("rejects", {"reason": "binary"}), None)
    '  removed by the stages: nothing (rejected while being read, before any cleaning stage ran)'
    """
    if rejected_at_reading(where):
        return "  removed by the stages: nothing (rejected while being read, before any cleaning stage ran)"
    if doc is None:
        return (
            "  removed pieces: not shown (the raw file is not where the run read it, or it changed since; "
            "--config if the output was built with other options)"
        )
    if where.table == "rejects":
        return rejected_removals(doc)
    return None


def rejected_removals(doc: Document) -> str:
    """The line that says what the stages had removed from a rejected record, before its pieces (if any) are listed.

    >>> rejected_removals(Document("id", "a.txt", reject="binary", reject_detail="NUL bytes"))
    '  removed by the stages: nothing (rejected while being read, before any cleaning stage ran)'
    """
    if doc.removals:
        return f"  before it was rejected ({doc.reject}), the stages removed:"
    if doc.reject in READ_REJECTS:
        return "  removed by the stages: nothing (rejected while being read, before any cleaning stage ran)"
    return f"  removed by the stages: nothing (no stage had removed anything when it was rejected as {doc.reject})"


def unresolved(path: Path) -> Path:
    """An absolute path that follows links in its folders but not a link that is the file itself.

    >>> unresolved(Path("/a/../b/c.txt"))
    PosixPath('/b/c.txt')
    """
    path = Path(path)
    return path.parent.resolve() / path.name


def describe(where: Whereabouts) -> list[str]:
    """The lines `docclean explain` prints for one record."""
    row = where.row
    line = f" line {row['source_line']}" if row.get("source_line") else ""
    head = f"{row['doc_id']}  {row['source_path']}{line}"
    if where.table == "rejects":
        return [head, f"  rejected: {row['reason']}", f"  {row['detail']}"]
    out = [head, f"  title: {row.get('title')}  date: {row.get('date')}  {row.get('char_count', 0):,} characters"]
    if where.table == "duplicates":
        kept = where.kept
        kept_at = (
            f" ({kept['source_path']}: {kept.get('title')})" if kept else " (not in documents: rebuild with --full)"
        )
        out.append(
            f"  duplicate ({row['kind']}) of {row['duplicate_of']}{kept_at}, estimated similarity {row['similarity']:.3f}"
        )
    else:
        out.append(
            "  kept in documents"
            + (f"; {len(where.copies)} duplicate(s) point to it:" if where.copies else "; no duplicates")
        )
        out.extend(
            f"    {c['doc_id']}  {c['source_path']}  {c['kind']}, similarity {c['similarity']:.3f}"
            for c in where.copies[:20]
        )
    removed = ", ".join(f"{name} {row[name]}" for name in REMOVED_COUNTS if row.get(name))
    out.append(f"  removed by the stages: {removed or 'nothing'}")
    if row.get("flags"):
        out.append(f"  flags: {', '.join(row['flags'])}")
    return out
