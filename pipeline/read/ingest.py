"""The ``read`` stage: find every input file and turn it into records.

A ``.txt`` file is one page (one article). A ``.jsonl`` file holds one article
per line, as an object with a ``text`` field and optional metadata fields
(see `pipeline.read.jsonl`). Every other file, and every line or file that cannot
be read, becomes a rejected record with a reason: nothing under the raw
folder is skipped without a trace, folder links and folders that cannot be
listed included.

Only regular files are ever opened for reading, and never more than
``max_file_bytes`` of one record is held, whatever ``stat`` says: a FIFO, a
device or a link to ``/dev/zero`` cannot hang or exhaust a run. The bytes a
record was made from are hashed as they are read, so the ledger describes
exactly what was processed even when a file changes during the run.
"""

from __future__ import annotations

import os
import stat as stat_module
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import xxhash

from pipeline.core.config import Config
from pipeline.core.document import (
    REJECT_SPECIAL_FILE,
    REJECT_SYMLINK_OUTSIDE_RAW,
    REJECT_SYMLINKED_FOLDER,
    REJECT_TOO_LARGE,
    REJECT_UNREADABLE,
    REJECT_UNSUPPORTED_FORMAT,
    Document,
    make_doc_id,
)
from pipeline.read.decoding import decode_bytes
from pipeline.read.html import HTML_SUFFIXES, extract_html
from pipeline.read.jsonl import JSONL_SUFFIXES, jsonl_records

PAGE_SUFFIXES = (".txt",)
READ_CHUNK = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)


# Slotted: a plan holds one per new file, a million of them on a first run.
@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What a raw file was when it was read: size and mtime before reading, hash of the bytes read."""

    size: int
    mtime_ns: int
    content_hash: str | None

    def same_stat(self, row) -> bool:
        return row["size_bytes"] == self.size and row["mtime_ns"] == self.mtime_ns


class Refused(Exception):
    """An input that is not opened, with the reject reason and a message."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


class PathList(Sequence[Path]):
    """Paths held as strings, handed out as `Path` objects one at a time (or a slice at a time).

    A run's file list can hold millions of entries: as `Path` objects they
    cost about 370 bytes each, as strings about 110.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[str | Path] = ()) -> None:
        self._items = [os.fspath(item) for item in items]

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [Path(item) for item in self._items[index]]
        return Path(self._items[index])

    def __iter__(self) -> Iterator[Path]:
        return (Path(item) for item in self._items)

    def append(self, path: str | Path) -> None:
        self._items.append(os.fspath(path))

    def names(self) -> list[str]:
        """The paths as strings (the list itself: do not change it)."""
        return self._items


def discover(raw_dir: str | Path, follow_symlinks: str = "inside") -> PathList:
    """Every entry under ``raw_dir`` that can hold input, recursively, in a stable order.

    Files of every kind are listed (special files too: `read_file` rejects
    them). A folder link is listed as an entry, not walked: its files are
    read where they live. Only with ``follow_symlinks = "all"`` is a link to
    a folder outside the raw folder walked, each real folder once, so a loop
    ends. A folder that cannot be listed is listed itself.
    """
    raw_dir = Path(raw_dir)
    real_raw = Path(os.path.realpath(raw_dir))
    found: list[str] = []
    walk_outside = follow_symlinks == "all"
    seen: set[tuple[int, int]] = set()

    def cannot_list(error: OSError) -> None:
        if error.filename is not None and Path(error.filename) != raw_dir:
            found.append(os.fspath(error.filename))

    for root, dirs, files in os.walk(raw_dir, onerror=cannot_list, followlinks=walk_outside):
        dirs.sort()
        if walk_outside:
            # Each real folder once: a link back up the tree must not loop.
            try:
                here = os.stat(root)
            except OSError:
                dirs.clear()
                continue
            if (here.st_dev, here.st_ino) in seen:
                dirs.clear()
                continue
            seen.add((here.st_dev, here.st_ino))
        listed = [
            name
            for name in dirs
            if os.path.islink(os.path.join(root, name))
            and not (walk_outside and not _inside(Path(os.path.realpath(os.path.join(root, name))), real_raw))
        ]
        found.extend(os.path.join(root, name) for name in listed)
        dirs[:] = [name for name in dirs if name not in listed]
        found.extend(os.path.join(root, name) for name in sorted(files))
    start = len(os.path.join(os.fspath(raw_dir), ""))
    found.sort(key=lambda p: _sort_key(p[start:]))
    return PathList(found)


def _inside(target: Path, real_raw: Path) -> bool:
    return target == real_raw or target.is_relative_to(real_raw)


def _sort_key(relative: str) -> str:
    """The walk order as one string: a folder's files before its sub-folders, names sorted.

    Each folder of the path is marked \\x02 and the last name \\x01, so that
    comparing keys compares the paths part by part, a file before a folder at
    the same depth (a string per entry, not a tuple: the list may be long).

    >>> sorted(["b/x.txt", "a.txt", "a/z.txt", "c.txt"], key=_sort_key)
    ['a.txt', 'c.txt', 'a/z.txt', 'b/x.txt']
    """
    *folders, name = relative.split(os.sep)
    return "".join("\x02" + folder + "\x01" for folder in folders) + "\x01" + name


def relative_name(path: Path, raw_dir: Path) -> str:
    """The path as stored in ``source_path``: relative, '/'-separated, valid UTF-8, unambiguous.

    Bytes of a file name that are not UTF-8 become ``\\xNN`` escapes (Parquet
    strings must be UTF-8), and a literal backslash becomes ``\\\\``, so two
    different names never give one source path.

    >>> relative_name(Path("/raw/a/b.txt"), Path("/raw"))
    'a/b.txt'
    >>> relative_name(Path("/raw/a\\udcff.txt"), Path("/raw")), relative_name(Path("/raw/a\\\\xff.txt"), Path("/raw"))
    ('a\\\\xff.txt', 'a\\\\\\\\xff.txt')
    """
    rel = os.path.relpath(path, raw_dir).replace(os.sep, "/")
    if "\\" not in rel and rel.isascii():
        return rel
    return "".join(_escape_name_char(ch) for ch in rel)


def _escape_name_char(ch: str) -> str:
    if ch == "\\":
        return "\\\\"
    if "\udc80" <= ch <= "\udcff":
        return f"\\x{ord(ch) - 0xDC00:02x}"
    return ch


def open_input(path: Path, raw_dir: Path, follow_symlinks: str = "inside") -> tuple[int, os.stat_result]:
    """A read-only descriptor of the regular file at ``path``, and its stat; raises `Refused` or OSError.

    A link is followed only to a target inside ``raw_dir`` (unless
    ``follow_symlinks`` is ``"all"``). The file is opened without blocking
    and checked with ``fstat`` on the open descriptor, so a FIFO swapped in
    after a look at the name still cannot hang the read.
    """
    info = os.lstat(path)
    target = path
    if stat_module.S_ISLNK(info.st_mode):
        target = Path(os.path.realpath(path))
        inside = _inside(target, Path(os.path.realpath(raw_dir)))
        if target.is_dir():
            where = (
                "its files are read where they live, inside the raw folder"
                if inside
                else 'outside the raw folder, not walked; set follow_symlinks = "all" to walk it'
            )
            raise Refused(REJECT_SYMLINKED_FOLDER, f"link to the folder {target}: {where}")
        if follow_symlinks != "all" and not inside:
            raise Refused(
                REJECT_SYMLINK_OUTSIDE_RAW,
                f"link to {target}, outside the raw folder; not read. "
                'Set follow_symlinks = "all" to read links wherever they point',
            )
    elif stat_module.S_ISDIR(info.st_mode):
        # Listed by `discover` because it could not be listed.
        try:
            os.listdir(path)
        except OSError as error:
            raise Refused(
                REJECT_UNREADABLE, f"folder cannot be listed: {error.strerror or error}; its files were not read"
            ) from None
        raise Refused(REJECT_UNREADABLE, "folder could not be listed during the walk; its files were not read")
    fd = os.open(target, _OPEN_FLAGS | (0 if target != path else getattr(os, "O_NOFOLLOW", 0)))
    try:
        opened = os.fstat(fd)
        if not stat_module.S_ISREG(opened.st_mode):
            raise Refused(REJECT_SPECIAL_FILE, f"{_file_kind(opened.st_mode)}, not a regular file; not read")
    except BaseException:
        os.close(fd)
        raise
    return fd, opened


def _file_kind(mode: int) -> str:
    for test, kind in (
        (stat_module.S_ISFIFO, "FIFO (named pipe)"),
        (stat_module.S_ISSOCK, "socket"),
        (stat_module.S_ISCHR, "character device"),
        (stat_module.S_ISBLK, "block device"),
        (stat_module.S_ISDIR, "folder"),
    ):
        if test(mode):
            return kind
    return "special file"


def chunks(fd: int, digest: xxhash.xxh3_128) -> Iterator[bytes]:
    """The bytes of an open file, in chunks, each added to ``digest`` as it is read."""
    while chunk := os.read(fd, READ_CHUNK):
        digest.update(chunk)
        yield chunk


def read_bounded(fd: int, limit: int, digest: xxhash.xxh3_128) -> tuple[bytes | None, int]:
    """The whole file if it holds at most ``limit`` bytes (else None), and its size.

    A larger file is read through for its hash but never held.
    """
    kept: list[bytes] | None = []
    size = 0
    for chunk in chunks(fd, digest):
        size += len(chunk)
        if kept is not None:
            kept.append(chunk)
            if size > limit:
                kept = None
    return (b"".join(kept) if kept is not None else None), size


def read_file(
    path: Path, raw_dir: Path, config: Config, names_from: Path | None = None
) -> tuple[list[Document], Fingerprint]:
    """All records of one input file, decoded or rejected with a reason, and what the file was.

    Source paths are relative to ``names_from`` (default ``raw_dir``: see
    `relative_name`); links are judged against ``raw_dir``. A file of another
    format is hashed for the ledger but not decoded.
    """
    source = relative_name(path, names_from or raw_dir)
    base = Document(doc_id=make_doc_id(source), source_path=source)
    suffix = path.suffix.lower()
    try:
        fd, info = open_input(path, raw_dir, config.follow_symlinks)
    except Refused as refused:
        return [base.rejecting(refused.reason, refused.detail)], stat_fingerprint(path)
    except OSError as error:
        return [
            base.rejecting(REJECT_UNREADABLE, f"{type(error).__name__}: {error.strerror or error}")
        ], stat_fingerprint(path)
    digest = xxhash.xxh3_128()
    base = base.replace(size_bytes=info.st_size)
    try:
        if suffix in JSONL_SUFFIXES:
            records = list(jsonl_records(chunks(fd, digest), base, config))
        elif suffix in PAGE_SUFFIXES + HTML_SUFFIXES:
            records = [_page_record(fd, base, config, digest)]
            if suffix in HTML_SUFFIXES and not records[0].rejected:
                records = [extract_html(records[0], config)]
        else:
            for _ in chunks(fd, digest):
                pass
            records = [
                base.rejecting(
                    REJECT_UNSUPPORTED_FORMAT,
                    f"{suffix or 'no extension'}: only .txt and .html pages and .jsonl feeds are read",
                )
            ]
    except OSError as error:
        return [
            base.rejecting(REJECT_UNREADABLE, f"{type(error).__name__}: {error.strerror or error}")
        ], stat_fingerprint(path)
    finally:
        os.close(fd)
    return records, Fingerprint(info.st_size, info.st_mtime_ns, digest.hexdigest())


def _page_record(fd: int, base: Document, config: Config, digest: xxhash.xxh3_128) -> Document:
    raw, size = read_bounded(fd, config.max_file_bytes, digest)
    base = base.replace(size_bytes=size)
    if raw is None:
        return base.rejecting(REJECT_TOO_LARGE, f"{size} bytes > max_file_bytes={config.max_file_bytes}; not held")
    decoded = decode_bytes(raw, config.encodings)
    if decoded.reject:
        return base.rejecting(decoded.reject, decoded.detail or "")
    return base.replace(text=decoded.text, encoding=decoded.encoding, flags=decoded.flags)


def stat_fingerprint(path: Path) -> Fingerprint:
    """A file's size and mtime without its hash (a link's own, if it has no target; -1 if none)."""
    for stat in (os.stat, os.lstat):
        try:
            info = stat(path)
            return Fingerprint(info.st_size, info.st_mtime_ns, None)
        except OSError:
            continue
    return Fingerprint(-1, -1, None)


def read_batch(
    paths: Sequence[str | Path], raw_dir: Path, config: Config, names_from: Path | None = None
) -> tuple[list[Document], dict[str, Fingerprint]]:
    """The ``read`` stage over a batch of files: the records, and each file's fingerprint by source path."""
    docs: list[Document] = []
    prints: dict[str, Fingerprint] = {}
    for path in map(Path, paths):
        records, fingerprint = read_file(path, Path(raw_dir), config, names_from)
        docs.extend(records)
        prints[relative_name(path, Path(names_from or raw_dir))] = fingerprint
    return docs, prints
