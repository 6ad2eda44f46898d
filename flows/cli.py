"""The ``docclean`` command line: run the cleaning once, see the plan, inspect or explain one page.

    docclean run [--raw DIR] [--out DIR] [--config FILE] [--set KEY=VALUE]... [--full] [--wait SECONDS]
                 [--add-raw] [--dry-run] [--prefect] [--cluster tcp://HOST:8786]
    docclean inspect FILE [--config FILE] [--raw DIR] [--out DIR]
    docclean explain DOC_ID|FILE [--out DIR] [--raw DIR]
    docclean parts OUT TABLE
    docclean --version

``run`` runs the steps of `pipeline.run` in this process, unless
``PREFECT_API_URL`` is set (the run then goes through the ``clean-corpus``
flow on that server, and shows in its UI) or ``--prefect`` asks for a
temporary server. Folder, lock and settings checks come first either way.

Exit status: 0 done, 1 the run failed, 2 bad arguments or configuration
(one line, naming every bad option; nothing read or written), 3 another run
is writing the same output folder.
"""

from __future__ import annotations

import argparse
import importlib.abc
import logging
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Sequence

from flows.arguments import checked_place, effective_config
from flows.lookup import command_explain, command_inspect, command_parts
from flows.progress import for_stream, say
from pipeline import store
from pipeline.core.config import Config, ConfigError
from pipeline.executors import dask_cluster
from pipeline.read import ledger, raw_folders
from pipeline.read.ingest import relative_name
from pipeline.run import opened, sequence
from pipeline.store import remote
from pipeline.store.layout import BusyError, OutputError

DEFAULT_RAW = "data/raw"
DEFAULT_OUT = "data/clean"
# The Prefect server is asked whether it is up before a run is sent to it.
API_CHECK_SECONDS = 3.0


def command_run(args: argparse.Namespace) -> int:
    args.raw, args.out = checked_place(args.raw), checked_place(args.out)
    config = effective_config(args)
    if args.dry_run:
        return dry_run(config, args)
    raw, out = args.raw, args.out  # as given: opened() refuses a URL before it becomes a path
    mode = "full rebuild" if args.full else "new and changed files"
    api = os.environ.get("PREFECT_API_URL")
    if api or args.prefect:
        return run_with_prefect(raw, out, config, args, api, mode)
    started = time.perf_counter()
    client = dask_cluster.connect(args.cluster) if args.cluster else None
    if client is None and args.own_process:
        arrays_without_pandas()
    executor = dask_cluster.DaskExecutor(client) if client is not None else None
    where = f"batches on the Dask cluster at {args.cluster}" if client is not None else "in this process"
    shown = for_stream(sys.stderr)
    try:
        with opened(
            raw,
            out,
            config,
            full=args.full,
            add_raw=args.add_raw,
            on_wait=say,
            progress=shown,
            executor=executor,
            tell=say,
        ) as run:
            say(
                f"cleaning {raw} -> {out}, {mode}, {where} (set PREFECT_API_URL to run it on your Prefect "
                "server, or pass --prefect for a temporary one)"
            )
            for note in run.notes:
                say(f"note: {note}")
            summary = sequence(run)
    finally:
        shown.close()
        if client is not None:
            client.close()
    print(format_summary(summary, time.perf_counter() - started))
    return 0


def arrays_without_pandas() -> None:
    """Have pyarrow make this process's arrays without importing pandas: for a ``docclean run`` that owns its process.

    pyarrow imports pandas on the first array a process makes (in Python, and
    again in C++ on each conversion until it succeeds), only to ask whether
    the values are pandas objects: 0.25 s and 50 MiB, a quarter of a one-page
    run, in the driver and in every worker. A local run hands pyarrow none,
    so ``import pandas`` fails for the rest of the process (its workers
    included) and pyarrow settles on working without it. Not for a run on a
    Dask cluster (its client uses pandas), nor when `main` is called inside
    another program (`console` is the command's entry).
    """
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    sys.meta_path.insert(0, _WITHOUT_PANDAS)
    pa.array([], pa.int8())


class _WithoutPandas(importlib.abc.MetaPathFinder):
    """An import finder that answers ``import pandas`` with ImportError."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] == "pandas":
            raise ImportError(
                "pandas is left out of a local `docclean run` (flows.cli.arrays_without_pandas): "
                "pyarrow imported it only to ask whether values are pandas objects"
            )
        return None


_WITHOUT_PANDAS = _WithoutPandas()


def run_with_prefect(raw: str, out: str, config: Config, args: argparse.Namespace, api: str | None, mode: str) -> int:
    # Everything that can refuse the run does so before Prefect starts: the
    # folders, the lock (taken and let go), the output's settings and raw folder.
    if api:
        check_api(api)
    if args.cluster:
        dask_cluster.connect(args.cluster).close()
    with opened(raw, out, config, full=args.full, add_raw=args.add_raw, on_wait=say, tell=say):
        pass
    where = f"the Prefect server at {api}" if api else "a temporary Prefect server (starting it takes ~10 s)"
    say(f"cleaning {raw} -> {out}, {mode}, as the clean-corpus flow on {where}")
    started = time.perf_counter()
    # No usage telemetry from the temporary server: machines running this are often offline.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows.clean import clean_corpus

    # One "Finished in state Completed()" line per task would bury the
    # flow's progress lines; failures are still logged.
    logging.getLogger("prefect.task_runs").setLevel(logging.WARNING)
    summary = clean_corpus(
        raw_dir=str(raw),
        out_dir=str(out),
        options=config.to_mapping(),
        full=args.full,
        add_raw=args.add_raw,
        cluster=args.cluster,
    )
    print(format_summary(summary, time.perf_counter() - started))
    return 0


def check_api(api: str) -> None:
    """Refuse a run at once (exit 2) when the Prefect API that PREFECT_API_URL names does not answer."""
    try:
        with urllib.request.urlopen(api.rstrip("/") + "/health", timeout=API_CHECK_SECONDS):
            pass
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise OutputError(
            f"the Prefect API at {api} does not answer ({reason}); start it (prefect server start) "
            "or unset PREFECT_API_URL to run in this process"
        ) from None


def dry_run(config: Config, args: argparse.Namespace) -> int:
    """The plan (new, changed, unchanged, missing files) and the effective config; nothing is written."""
    notes: list[str] = []
    with remote.mirrored(args.raw, args.out, notes=notes, writing=False, tell=say) as places:
        raw, out = raw_folders.placed(places.raw, places.out)
        roots = raw_folders.admitted(raw, out, config, args.full, args.add_raw, places.raw_name)
        names_from = raw if remote.is_url(roots[0]) else Path(roots[0])
        plan = ledger.plan_run(raw, out, args.full, names_from, config.follow_symlinks)
    for note in notes:
        say(f"note: {note}")
    changed = set(plan.changed)
    names = [relative_name(p, names_from) for p in plan.process]
    new = [n for n in names if n not in changed]
    print(f"plan for {places.raw_name} -> {places.out_name}" + (" (full rebuild)" if args.full else ""))
    for label, items, count in (("new", new, len(new)), ("changed", sorted(changed), len(changed))):
        print(f"  {label:<10}{count:>8,} files" + (":" if items else ""))
        for name in items[:20]:
            print(f"              {name}")
        if len(items) > 20:
            print(f"              ... and {len(items) - 20:,} more")
    print(f"  {'unchanged':<10}{plan.unchanged:>8,} files (skipped)")
    print(f"  {'missing':<10}{plan.missing:>8,} files (gone from the raw folder; their rows stay)")
    print("effective config:")
    for key, value in config.to_mapping().items():
        print(f"  {key} = {value!r}")
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
        (
            "read",
            f"{summary['records']:>8,}",
            f"records from {summary['files_processed']:,} new or changed files"
            f" ({summary['files_unchanged']:,} unchanged)",
        ),
        ("clean", f"{summary['documents']:>8,}", "documents"),
        ("duplicates", f"{summary['duplicates']:>8,}", f"in {summary['clusters_with_duplicates']:,} clusters"),
        ("rejects", f"{summary['rejects']:>8,}", f"({reasons})" if reasons else ""),
        ("time", f"{wall_seconds:>8.1f}", f"s (pipeline {summary['seconds']:.1f} s)"),
    ]
    lines = [f"  {name:<11}{value} {note}".rstrip() for name, value, note in rows]
    check = "counts add up" if summary["counts_add_up"] else "COUNTS DO NOT ADD UP"
    lines.append(
        f"  {check}: {summary['records']:,} = {summary['documents']:,} + {summary['duplicates']:,} + {summary['rejects']:,}"
    )
    totals = summary["totals"]
    lines.append(
        f"  corpus     {totals['documents']:>8,} documents, {totals['duplicates']:,} duplicates, "
        f"{totals['rejects']:,} rejects from {totals['files']:,} files (run {summary['run']})"
    )
    out = summary["out_dir"]
    if remote.is_url(out):
        # Objects are named by their content (summary.<hash>.json): the manifest says which are current.
        lines.append(
            f"  output     {out}: the current objects are those {out}/{remote.MANIFEST_NAME} names "
            f"(docclean parts {out} documents lists a table's)"
        )
    else:
        lines.append(f"  output     {out}/{{{','.join(store.TABLES)}}}/ and {store.SUMMARY_NAME}")
    return "\n".join(lines)


class Parser(argparse.ArgumentParser):
    """argparse, with a bad argument said in one line (exit 2) like every other one, not a usage block."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(2, f"docclean: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="docclean", description="Clean and deduplicate scraped news pages into Parquet.")
    parser.add_argument("--version", action="version", version=version_line())
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="clean a raw folder into an output folder once")
    run.add_argument(
        "--raw", default=DEFAULT_RAW, help=f"folder of raw pages, read recursively (default {DEFAULT_RAW})"
    )
    run.add_argument("--out", default=DEFAULT_OUT, help=f"output folder for the Parquet tables (default {DEFAULT_OUT})")
    run.add_argument("--config", help="TOML file of options (see README: Configuration)")
    run.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="one option, over the config file (repeatable): --set dedup_threshold=0.8",
    )
    run.add_argument(
        "--full",
        action="store_true",
        help="rebuild the output from every raw file instead of only new and changed ones",
    )
    run.add_argument("--add-raw", action="store_true", help="add this raw folder to an output built from another one")
    run.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="if another run is writing the output, wait this long for it (default: fail at once)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (new, changed, unchanged, missing files) and the effective config; write nothing",
    )
    run.add_argument(
        "--cluster",
        metavar="tcp://HOST:8786",
        help="clean the batches on this Dask cluster (default: worker processes on this machine)",
    )
    run.add_argument(
        "--prefect",
        action="store_true",
        help="run as the Prefect flow even without PREFECT_API_URL (starts a temporary server, ~10 s)",
    )
    run.set_defaults(handler=command_run)
    inspect = commands.add_parser("inspect", help="show one raw page next to what the pipeline makes of it")
    inspect.add_argument("file", help="a .txt, .html or .jsonl file")
    inspect.add_argument("--config", help="TOML file of options")
    inspect.add_argument("--set", action="append", metavar="KEY=VALUE", help="one option, over the config file")
    inspect.add_argument("--raw", default=DEFAULT_RAW, help="the raw folder the file's doc_id is relative to")
    inspect.add_argument("--out", default=DEFAULT_OUT, help="an output whose raw folder names the file")
    inspect.set_defaults(handler=command_inspect)
    explain = commands.add_parser(
        "explain", help="where a record went and why: its table, kept copy, reject reason, removals"
    )
    explain.add_argument("target", help="a doc_id, or a raw file")
    explain.add_argument("--out", default=DEFAULT_OUT, help=f"the output folder (default {DEFAULT_OUT})")
    explain.add_argument(
        "--raw", default=DEFAULT_RAW, help=f"the raw folder, for a file given by path (default {DEFAULT_RAW})"
    )
    explain.add_argument("--config", help="TOML file of the options the output was built with")
    explain.add_argument("--set", action="append", metavar="KEY=VALUE", help="one option, over the config file")
    explain.set_defaults(handler=command_explain)
    parts = commands.add_parser(
        "parts", help="the files of one table as the last commit lists them (read these, not a listing)"
    )
    parts.add_argument("out", help="an output folder or URL (s3://bucket/clean)")
    parts.add_argument("table", help=f"one of {', '.join((*store.TABLES, store.LEDGER, store.TEMPLATES))}")
    parts.set_defaults(handler=command_parts)
    return parser


def version_line() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from pipeline.core.schema import SCHEMA_VERSION

    def of(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return f"docclean {of('docclean')} (output schema {SCHEMA_VERSION}, prefect {of('prefect')}, python {sys.version.split()[0]})"


def main(argv: Sequence[str] | None = None, *, own_process: bool = False) -> int:
    """The command line; ``own_process``: this process is the command's own (`console`), and ends with it."""
    args = build_parser().parse_args(argv)
    args.own_process = own_process
    try:
        return args.handler(args)
    except BusyError as error:
        print(f"docclean: busy: {error}", file=sys.stderr)
        return 3
    except (ConfigError, OutputError) as error:
        # One line, whatever a message quoted (a TOML error, a store's reply).
        print(f"docclean: error: {' '.join(str(error).splitlines())}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (docclean ... | head): nothing more to say.
        sys.stdout = open(os.devnull, "w")
        return 0
    except Exception as error:  # noqa: BLE001 - a failed run ends with a message, not a traceback wall
        print(f"docclean: run failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("docclean: interrupted; the previous output is untouched", file=sys.stderr)
        return 130


def console() -> int:
    """The ``docclean`` command: `main` in a process of its own."""
    return main(own_process=True)


if __name__ == "__main__":
    sys.exit(console())
