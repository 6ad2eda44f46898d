"""The ``read`` stage: find every input file and turn it into records.

A ``.txt`` file is one page (one article). A ``.jsonl`` file holds one article
per line, as an object with a ``text`` field and optional metadata fields
(see `JSONL_FIELDS`). Every other file, and every line or file that cannot be
read, becomes a rejected record with a reason: nothing under the raw folder is
skipped without a trace.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import BinaryIO, Iterator

from pipeline.config import Config
from pipeline.document import (
    FLAG_DATE_UNPARSED,
    REJECT_EMPTY,
    REJECT_MALFORMED_JSON,
    REJECT_MISSING_TEXT,
    REJECT_TOO_LARGE,
    REJECT_UNREADABLE,
    REJECT_UNSUPPORTED_FORMAT,
    Document,
    make_doc_id,
)
from pipeline.encoding import decode_bytes
from pipeline.metadata import parse_date

PAGE_SUFFIXES = (".txt",)
READ_CHUNK = 1 << 20
JSONL_SUFFIXES = (".jsonl",)

# JSONL keys we understand, mapped to Document fields. "source" is what most
# scrapers call the publication.
JSONL_FIELDS = {
    "title": "title",
    "date": "date",
    "publication": "publication",
    "source": "publication",
    "section": "section",
    "url": "url",
    "authors": "authors",
}


def discover(raw_dir: str | Path) -> list[Path]:
    """Every file under ``raw_dir``, recursively, in a stable order.

    Symlinked directories are not followed, so a link loop cannot trap the
    walk; symlinked files are read like files.
    """
    raw_dir = Path(raw_dir)
    found: list[Path] = []
    for root, dirs, files in os.walk(raw_dir, followlinks=False):
        dirs.sort()
        found.extend(Path(root) / name for name in sorted(files))
    return found


def relative_name(path: Path, raw_dir: Path) -> str:
    """The path as stored in ``source_path``: relative, '/'-separated, valid UTF-8.

    Bytes that are not UTF-8 in a file name are shown as ``\\xNN`` escapes,
    since Parquet strings must be UTF-8.
    """
    rel = os.path.relpath(path, raw_dir).replace(os.sep, "/")
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_file(path: Path, raw_dir: Path, config: Config) -> list[Document]:
    """All records of one input file, decoded, or rejected with a reason."""
    source = relative_name(path, raw_dir)
    suffix = path.suffix.lower()
    base = Document(doc_id=make_doc_id(source), source_path=source)
    if suffix not in PAGE_SUFFIXES + JSONL_SUFFIXES:
        return [base.rejecting(REJECT_UNSUPPORTED_FORMAT, f"{suffix or 'no extension'}: only .txt pages and .jsonl feeds are read")]
    try:
        size = path.stat().st_size
        base = dataclasses.replace(base, size_bytes=size)
        if suffix in JSONL_SUFFIXES:
            return list(_jsonl_records(path, base, config))
        if size > config.max_file_bytes:
            return [base.rejecting(REJECT_TOO_LARGE, f"{size} bytes > max_file_bytes={config.max_file_bytes}; not read")]
        raw = path.read_bytes()
    except OSError as error:
        return [base.rejecting(REJECT_UNREADABLE, f"{type(error).__name__}: {error.strerror or error}")]
    decoded = decode_bytes(raw, config.encodings)
    if decoded.reject:
        return [base.rejecting(decoded.reject, decoded.detail or "")]
    return [dataclasses.replace(base, text=decoded.text, encoding=decoded.encoding, flags=decoded.flags)]


def _jsonl_lines(handle: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, bytes, size) of each line, streamed; bytes is None for a line over ``limit``.

    A line longer than the limit is read through in chunks and never held
    whole, so one giant line costs no more memory than a short one.
    """
    number = 0
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) <= limit or line.endswith(b"\n"):
            yield number, line, len(line)
            continue
        size = len(line)
        while chunk := handle.readline(READ_CHUNK):
            size += len(chunk)
            if chunk.endswith(b"\n"):
                break
        yield number, None, size


def _jsonl_records(path: Path, file_doc: Document, config: Config) -> Iterator[Document]:
    """One record per non-blank line, read line by line; blank lines are layout, not records.

    Each line is decoded on its own (JSON Lines are UTF-8, but feeds glued
    together from several sources are not always), so one bad line costs
    only that line. A file of blank lines only is one ``empty`` record, so
    that it still leaves a row behind.
    """
    records = 0
    with open(path, "rb") as handle:
        for number, line, size in _jsonl_lines(handle, config.max_file_bytes):
            record = dataclasses.replace(
                file_doc, doc_id=make_doc_id(file_doc.source_path, number), source_line=number, size_bytes=size
            )
            if line is None:
                records += 1
                yield record.rejecting(REJECT_TOO_LARGE, f"line {number}: {size} bytes > max_file_bytes={config.max_file_bytes}; not read")
                continue
            if not line.strip():
                continue
            records += 1
            decoded = decode_bytes(line.rstrip(b"\r\n"), config.encodings)
            if decoded.reject:
                yield record.rejecting(decoded.reject, f"line {number}: {decoded.detail}")
                continue
            yield from _jsonl_record(record, number, decoded.text, decoded.encoding, decoded.flags)
    if not records:
        yield file_doc.rejecting(REJECT_EMPTY, "no records: every line is blank")


def _jsonl_record(record: Document, number: int, line: str, encoding: str, flags: tuple[str, ...]) -> Iterator[Document]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        yield record.rejecting(REJECT_MALFORMED_JSON, f"line {number}: {error.msg} at column {error.colno}")
        return
    if not isinstance(value, dict):
        yield record.rejecting(REJECT_MALFORMED_JSON, f"line {number}: expected an object, got {type(value).__name__}")
        return
    text = value.get("text")
    if not isinstance(text, str):
        yield record.rejecting(REJECT_MISSING_TEXT, f"line {number}: no string field 'text'")
        return
    if not text.strip():
        yield record.rejecting(REJECT_EMPTY, f"line {number}: 'text' is blank")
        return
    metadata = _jsonl_metadata(value)
    flags = flags + metadata.pop("flags", ())
    yield dataclasses.replace(record, text=text, encoding=encoding, flags=flags, **metadata)


def _jsonl_metadata(value: dict) -> dict:
    fields: dict = {}
    for key, field_name in JSONL_FIELDS.items():
        item = value.get(key)
        if item in (None, "", []) or field_name in fields:
            continue
        if field_name == "date":
            parsed = parse_date(str(item))
            if parsed is None:
                # Keep the record, and say that its date was there but unreadable.
                fields["flags"] = (FLAG_DATE_UNPARSED,)
            item = parsed
        elif field_name == "authors":
            item = tuple(str(a) for a in item) if isinstance(item, list) else tuple(str(item).split())
        else:
            item = str(item).strip()
        if item:
            fields[field_name] = item
    return fields


def read_batch(paths: list[Path], raw_dir: Path, config: Config) -> list[Document]:
    """The ``read`` stage over a batch of files."""
    return [doc for path in paths for doc in read_file(path, Path(raw_dir), config)]
