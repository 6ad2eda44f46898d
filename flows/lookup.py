"""The commands that look into an output or a page: ``inspect``, ``explain`` and ``parts``."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from flows.arguments import checked_place, effective_config
from flows.pages import heading, removal_lines, render_document
from flows.progress import say
from pipeline import explain, store
from pipeline.chain import clean_files
from pipeline.store import remote
from pipeline.store.layout import OutputError

__all__ = ["command_explain", "command_inspect", "command_parts"]


def command_inspect(args: argparse.Namespace) -> int:
    args.out = checked_place(args.out)
    config = effective_config(args)
    path = Path(args.file)
    if not path.is_file():
        raise OutputError(f"{str(path)!r} is not a file")
    width = max(60, min(shutil.get_terminal_size((120, 20)).columns, 160))
    try:
        with path.open("rb") as handle:
            # At most what the run would hold of it (a larger page is rejected as too_large).
            raw = handle.read(config.max_file_bytes + 1)
    except OSError as error:
        raise OutputError(f"cannot read {str(path)!r}: {error.strerror or error}") from None
    cut = len(raw) > config.max_file_bytes
    raw = raw[: config.max_file_bytes]
    out = remote.local_output(args.out) if remote.is_url(args.out) else Path(args.out)
    root = explain.names_root(path, Path(args.raw), out)
    # Read as run reads it: links judged against the raw folder, not the file's own.
    docs = clean_files([path], root, config, explain.learned_of(out, config), names_from=root)
    size = f"{path.stat().st_size:,} bytes, the first {len(raw):,} shown" if cut else f"{len(raw):,} bytes"
    print(heading(f"raw page: {path} ({size})", width))
    encoding = docs[0].encoding if docs and docs[0].encoding else "utf-8"
    preview = raw.decode(encoding, errors="replace")
    for number, line in enumerate(preview.splitlines(), start=1):
        shown = line if len(line) <= width - 8 else line[: width - 9] + "…"
        print(f"{number:>5} | {shown}")
    for doc in docs:
        print(render_document(doc, width))
        if doc.rejected:
            # What the stages took out before the record was rejected (every piece extract removed from a
            # page left empty), or that it was rejected while being read and nothing was removed.
            print(explain.rejected_removals(doc))
            if doc.removals:
                print("\n".join(removal_lines(doc, width, indent="  ")))
    return 0


def command_explain(args: argparse.Namespace) -> int:
    args.out = checked_place(args.out)
    out, target = remote.local_output(args.out) if remote.is_url(args.out) else Path(args.out), args.target
    if not out.is_dir() or store.read_summary(out) is None:
        raise OutputError(f"{str(out)!r} holds no docclean output; pass --out with the folder a run wrote")
    path = Path(target)
    if path.is_file():
        source = explain.source_path_of(path, out, Path(args.raw))
        found = explain.explain(out, source_path=source)
        missing = f"no record of {source!r} in {out}: the file is new or changed since the last run (see run --dry-run)"
    else:
        found = explain.explain(out, doc_id=target)
        missing = f"no record with doc_id {target!r} in {out} (doc_ids are 16 hex digits; or pass a raw file)"
    if not found:
        raise OutputError(missing)
    config = effective_config(args)
    width = max(60, min(shutil.get_terminal_size((120, 20)).columns, 160))
    again = explain.cleaned_again(out, found, config)
    for where in found:
        print("\n".join(explain.describe(where)))
        doc = again.get(where.row["doc_id"])
        note = explain.removal_note(where, doc)
        if note is not None:
            print(note)
        if doc is not None and (doc.removals or where.table != "rejects"):
            print("\n".join(removal_lines(doc, width, indent="  ")))
    return 0


def command_parts(args: argparse.Namespace) -> int:
    """The files of one table as the output's last commit lists them, one per line, for any reader.

    An output that is not there (a missing folder, a folder no run wrote, a URL
    that cannot be used or reached) is a bad argument: one line, exit 2. An
    output whose table has no parts prints nothing, and says so on stderr.
    """
    if args.table not in (*store.TABLES, store.LEDGER, store.TEMPLATES):
        raise OutputError(
            f"no table {args.table!r}; the tables are {', '.join((*store.TABLES, store.LEDGER, store.TEMPLATES))}"
        )
    if remote.is_url(args.out):
        found = remote.listed_part_urls(checked_place(args.out), args.table)
    else:
        out = Path(args.out)
        if not out.exists():
            raise OutputError(f"{args.out!r} does not exist; give the output folder a run wrote (--out), or its URL")
        if not out.is_dir():
            raise OutputError(f"{args.out!r} is not a folder; give the output folder a run wrote (--out), or its URL")
        if store.read_summary(out) is None:
            raise OutputError(
                f"{args.out!r} holds no docclean output (no {store.SUMMARY_NAME}); give the output folder "
                "a run wrote (--out), or its URL"
            )
        found = [str(path) for path in store.parts(out, args.table)]
    if not found:
        say(f"note: the last commit of {args.out} lists no parts of {args.table} (the table is empty)")
        return 0
    print("\n".join(found))
    return 0
