"""The ``docclean`` command line: run the cleaning flow once, or inspect one page.

    docclean run [--raw DIR] [--out DIR] [--config FILE] [--full] [--wait SECONDS]
    docclean inspect FILE [--config FILE]

Exit status: 0 done, 1 the run failed, 2 bad arguments or configuration,
3 another run is writing the same output folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Sequence

from pipeline.chain import clean_files
from pipeline.config import Config, ConfigError
from pipeline.store import BusyError, OutputError, check_folders

DEFAULT_RAW = "data/raw"
DEFAULT_OUT = "data/clean"


def _load_config(path: str | None) -> Config:
    return Config.from_toml(path) if path else Config()


def command_run(args: argparse.Namespace) -> int:
    config = _load_config(args.config)
    if args.wait is not None:
        config = Config.from_mapping({**config.to_mapping(), "lock_wait_seconds": args.wait})
    raw, out = Path(args.raw), Path(args.out)
    check_folders(raw, out)
    mode = "full rebuild" if args.full else "new and changed files"
    print(f"docclean: cleaning {raw} -> {out}, {mode} (starting Prefect...)", file=sys.stderr, flush=True)
    started = time.perf_counter()
    # No usage telemetry from the temporary server: machines running this are often offline.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Imported here so that `--help`, `inspect` and config errors stay instant.
    from flows.clean import clean_corpus

    # One "Finished in state Completed()" line per task and batch would bury the
    # progress lines the flow logs per batch; failures are still logged.
    logging.getLogger("prefect.task_runs").setLevel(logging.WARNING)
    summary = clean_corpus(raw_dir=str(raw), out_dir=str(out), options=config.to_mapping(), full=args.full)
    print(format_summary(summary, time.perf_counter() - started))
    return 0


def format_summary(summary: dict[str, Any], wall_seconds: float) -> str:
    """The short table printed at the end of a run."""
    if summary.get("nothing_new"):
        return (
            f"  nothing new: {summary['files_unchanged']:,} raw files unchanged since the last run; "
            f"{summary['out_dir']} left as it is ({wall_seconds:.1f} s)"
        )
    reasons = ", ".join(f"{reason} {n}" for reason, n in summary["rejects_by_reason"].items())
    rows = [
        ("read", f"{summary['records']:>8,}", f"records from {summary['files_processed']:,} new or changed files"
         f" ({summary['files_unchanged']:,} unchanged)"),
        ("clean", f"{summary['documents']:>8,}", "documents"),
        ("duplicates", f"{summary['duplicates']:>8,}", f"in {summary['clusters_with_duplicates']:,} clusters"),
        ("rejects", f"{summary['rejects']:>8,}", f"({reasons})" if reasons else ""),
        ("time", f"{wall_seconds:>8.1f}", f"s (pipeline {summary['seconds']:.1f} s)"),
    ]
    lines = [f"  {name:<11}{value} {note}".rstrip() for name, value, note in rows]
    check = "counts add up" if summary["counts_add_up"] else "COUNTS DO NOT ADD UP"
    lines.append(f"  {check}: {summary['records']:,} = {summary['documents']:,} + {summary['duplicates']:,} + {summary['rejects']:,}")
    totals = summary["totals"]
    lines.append(
        f"  corpus     {totals['documents']:>8,} documents, {totals['duplicates']:,} duplicates, "
        f"{totals['rejects']:,} rejects from {totals['files']:,} files (run {summary['run']})"
    )
    lines.append(f"  output     {summary['out_dir']}/{{documents,duplicates,rejects,signatures}}/ and summary.json")
    return "\n".join(lines)


def command_inspect(args: argparse.Namespace) -> int:
    config = _load_config(args.config)
    path = Path(args.file)
    if not path.is_file():
        raise OutputError(f"{str(path)!r} is not a file")
    width = max(60, min(shutil.get_terminal_size((120, 20)).columns, 160))
    raw = path.read_bytes()
    docs = clean_files([path], path.parent, config)
    print(_heading(f"raw page: {path} ({len(raw):,} bytes)", width))
    encoding = docs[0].encoding if docs and docs[0].encoding else "utf-8"
    preview = raw.decode(encoding, errors="replace")
    for number, line in enumerate(preview.splitlines(), start=1):
        shown = line if len(line) <= width - 8 else line[: width - 9] + "…"
        print(f"{number:>5} | {shown}")
    for doc in docs:
        print(_render_document(doc, width))
    return 0


def _heading(text: str, width: int) -> str:
    return f"\n== {text} " + "=" * max(0, width - len(text) - 4)


def _render_document(doc, width: int) -> str:
    where = doc.source_path + (f" line {doc.source_line}" if doc.source_line else "")
    out = []
    if doc.rejected:
        out.append(_heading(f"REJECTED {where}: {doc.reject}", width))
        out.append(f"  {doc.reject_detail}")
        return "\n".join(out)
    out.append(_heading(f"metadata: {where}", width))
    fields = [
        ("title", doc.title), ("date", doc.date), ("publication", doc.publication), ("section", doc.section),
        ("byline", " ".join(filter(None, [doc.byline_role, *doc.authors])) or None),
        ("pages", list(doc.pages) or None), ("continued_from", list(doc.continued_from) or None),
        ("encoding", doc.encoding), ("flags", ", ".join(doc.flags) or None), ("doc_id", doc.doc_id),
    ]
    out.extend(f"  {name:<15}{value}" for name, value in fields if value is not None)
    paragraphs = doc.paragraphs
    out.append(_heading(f"clean text: {len(paragraphs)} paragraphs, {len(doc.text) - doc.text.count(chr(10)):,} characters", width))
    for number, paragraph in enumerate(paragraphs, start=1):
        wrapped = textwrap.wrap(paragraph, width=max(20, (width - 8) // 2)) or [""]
        out.append(f"{number:>5} | " + ("\n      | ".join(wrapped)))
    out.append(_heading(f"removed: {len(doc.removals)} pieces", width))
    groups: dict[tuple[str, str], list[str]] = {}
    for removal in doc.removals:
        groups.setdefault((removal.stage, removal.kind), []).append(removal.text)
    for (stage, kind), texts in groups.items():
        out.append(f"  {stage}/{kind} ({len(texts)}):")
        for text in dict.fromkeys(texts):
            shown = text if len(text) <= width - 10 else text[: width - 11] + "…"
            repeat = texts.count(text)
            out.append(f"      {shown}" + (f"   ×{repeat}" if repeat > 1 else ""))
    out.append("  (cross-page duplicates are decided by `docclean run` over the whole corpus)")
    return "\n".join(out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="docclean", description="Clean and deduplicate scraped news pages into Parquet.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the cleaning flow once over a raw folder")
    run.add_argument("--raw", default=DEFAULT_RAW, help=f"folder of raw pages, read recursively (default {DEFAULT_RAW})")
    run.add_argument("--out", default=DEFAULT_OUT, help=f"output folder for the Parquet tables (default {DEFAULT_OUT})")
    run.add_argument("--config", help="TOML file of options (see README: Configuration)")
    run.add_argument("--full", action="store_true", help="rebuild the output from every raw file instead of only new and changed ones")
    run.add_argument("--wait", type=float, metavar="SECONDS", help="if another run is writing the output, wait this long for it (default: fail at once)")
    run.set_defaults(handler=command_run)
    inspect = commands.add_parser("inspect", help="show one raw page next to what the pipeline makes of it")
    inspect.add_argument("file", help="a .txt page or .jsonl file")
    inspect.add_argument("--config", help="TOML file of options")
    inspect.set_defaults(handler=command_inspect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except BusyError as error:
        print(f"docclean: busy: {error}", file=sys.stderr)
        return 3
    except (ConfigError, OutputError) as error:
        print(f"docclean: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - a failed run ends with a message, not a traceback wall
        print(f"docclean: run failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("docclean: interrupted; the previous output is untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
