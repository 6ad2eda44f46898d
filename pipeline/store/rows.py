"""Records as Arrow rows: the documents, duplicates and rejects tables of one batch.

One function per table, each column named once; the schemas are in
`pipeline.core.schema`.
"""

from __future__ import annotations

from typing import Any, Sequence

import pyarrow as pa

from pipeline.clean.metadata import BOILERPLATE_KINDS
from pipeline.core.document import Document
from pipeline.core.schema import DOCUMENTS, REJECTS

DOCUMENT_COLUMNS = DOCUMENTS.names


def document_table(docs: Sequence[Document]) -> pa.Table:
    """The cleaned documents of a batch as rows of the documents table."""
    rows = [d for d in docs if not d.rejected]
    # One pass over each document's removals (dozens on a page scraped twice) for every count column.
    tallies = [_removal_tally(d) for d in rows]

    def count(key: str) -> pa.Array:
        return pa.array([tally.get(key, 0) for tally in tallies], pa.int32())

    columns: dict[str, Any] = {
        "doc_id": [d.doc_id for d in rows],
        "source_path": [d.source_path for d in rows],
        "source_line": [d.source_line for d in rows],
        "source_id": [d.source_id for d in rows],
        "url": [d.url for d in rows],
        "title": [d.title for d in rows],
        "subtitle": [_header(d, "subtitle") for d in rows],
        "kicker": [_header(d, "kicker") for d in rows],
        "date": [d.date for d in rows],
        "published_at": [d.published_at for d in rows],
        "publication": [d.publication for d in rows],
        "section": [d.section for d in rows],
        "page": [d.page for d in rows],
        "original_title": [d.original_title for d in rows],
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
        "markers_removed": count("page_jump"),
        "separators_removed": count("separator_line"),
        "header_lines_removed": count("header"),
        "repeated_blocks_removed": count("repeated_blocks"),
        "repeated_chars_removed": [tally.get("repeated_chars", 0) for tally in tallies],
        "boilerplate_removed": count("boilerplate"),
        "extractor": [d.extractor for d in rows],
        "extra": [d.extra for d in rows],
    }
    return pa.table(columns, schema=DOCUMENTS)


def _header(doc: Document, kind: str) -> str | None:
    """The header lines of one kind that extract moved out of the text (a subtitle, a kicker), one per line."""
    lines = [text for stage, found, text in doc.removals if stage == "extract" and found == kind]
    return "\n".join(lines) if lines else None


def _removal_tally(doc: Document) -> dict[str, int]:
    """The counts of one document's removals that the documents table reports, by column."""
    tally: dict[str, int] = {}
    for stage, kind, text in doc.removals:
        if stage == "strip":
            key = kind if kind in ("page_jump", "separator_line") else None
        elif stage == "page_dedup":
            key = "repeated_blocks"
            tally["repeated_chars"] = tally.get("repeated_chars", 0) + len(text)
        elif stage == "extract":
            key = "boilerplate" if kind in BOILERPLATE_KINDS else "header"
        else:
            key = None
        if key is not None:
            tally[key] = tally.get(key, 0) + 1
    return tally


def reject_table(docs: Sequence[Document]) -> pa.Table:
    """The rejected records of a batch as rows of the rejects table."""
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


def as_duplicates(rows: pa.Table, decided: pa.Table) -> pa.Table:
    """Document rows plus their dedup decision (duplicate_of, similarity, kind), as rows of the duplicates table."""
    table = rows.select(DOCUMENT_COLUMNS)
    for name in ("duplicate_of", "similarity", "kind"):
        table = table.append_column(name, decided.column(name))
    return table
