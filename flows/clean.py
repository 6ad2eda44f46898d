"""Prefect flow ``clean-corpus``: raw scraped pages in, clean deduplicated Parquet out.

The flow runs the one run sequence (`pipeline.run.sequence`, its steps in
`pipeline.run.STEPS`; the stages of each batch in `pipeline.chain.STAGES`),
making each step a Prefect task, reporting progress to the run's log and the
run report as Prefect artifacts.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import deployment
from prefect.utilities.annotations import quote

from pipeline import run as steps
from pipeline.core.options import Options, parse_options
from pipeline.executors import dask_cluster
from pipeline.store import allowed_roots, report
from pipeline.store.layout import BusyError

# Task inputs are runs, plans and dedup tables: caching them by input hash
# would cost more than the work itself.
TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE}
IO_RETRIES: dict[str, Any] = {"retries": 2, "retry_delay_seconds": 2}
# A run that finds the output busy after its lock wait tries again this often.
BUSY_ATTEMPTS = 3
BUSY_RETRY_SECONDS = 30

# One task per step; every step is safe to run again, and those that read or
# write files retry.
TASKS = {step.__name__: task(step, name=step.__name__, **TASK_OPTIONS, **IO_RETRIES) for step in steps.STEPS}


def as_task(step: Callable, run: steps.Run, *args: Any) -> Any:
    # quote(): Prefect must not walk the run object looking for task results.
    return TASKS[step.__name__](quote(run), *(quote(a) for a in args))


def publish_report(summary: dict[str, Any]) -> None:
    """The run report as Prefect artifacts, beside the same summary in the run JSON.

    Keyed by output folder: each output's report has its own history in the UI.
    """
    key = report.artifact_key(summary["out_dir"])
    create_table_artifact(
        key=f"{key}-counts", table=report.count_rows(summary), description=f"docclean run counts: {summary['out_dir']}"
    )
    create_markdown_artifact(
        key=f"{key}-report", markdown=report.markdown(summary), description=f"docclean run report: {summary['out_dir']}"
    )


def log_progress(logger) -> steps.Progress:
    def progress(totals: dict[str, Any]) -> None:
        elapsed = totals["elapsed"]
        logger.info(
            "batch %d/%d: %d/%d files, %d records (%d cleaned, %d rejected), %.0f records/s",
            totals["batches_done"],
            totals["batches"],
            totals["files_done"],
            totals["files_total"],
            totals["records"],
            totals["cleaned"],
            totals["rejected"],
            totals["records"] / elapsed if elapsed else 0.0,
        )

    return progress


def batches_as_tasks(step: Callable, run: steps.Run, *args: Any) -> Any:
    """The steps whose batches are Prefect tasks already (on a cluster) run in the flow itself.

    A task that submits tasks would send its own inputs (the whole run) along
    with every batch it submits.
    """
    if step in (steps.read_pages, steps.clean):
        return step(run, *args)
    return as_task(step, run, *args)


def run_once(
    raw_dir: str, out_dir: str, config: Any, full: bool, add_raw: bool, logger, executor=None
) -> dict[str, Any]:
    with steps.opened(
        raw_dir,
        out_dir,
        config,
        full=full,
        add_raw=add_raw,
        on_wait=logger.info,
        progress=log_progress(logger),
        executor=executor,
    ) as run:
        for note in run.notes:
            logger.warning(note)
        return steps.sequence(run, batches_as_tasks if executor is not None else as_task)


def run_with_retries(
    raw_dir: str, out_dir: str, config: Any, full: bool, add_raw: bool, logger, attempts: int, executor=None
) -> dict[str, Any]:
    for attempt in range(1, attempts + 1):
        try:
            return run_once(raw_dir, out_dir, config, full, add_raw, logger, executor)
        except BusyError as error:
            # Another run won the output after our wait (or between the
            # concurrency slot and the lock): the steps are safe to run again.
            if attempt == attempts:
                raise
            logger.warning(
                "%s; trying again in %d s (attempt %d of %d)", error, BUSY_RETRY_SECONDS, attempt + 1, attempts
            )
            time.sleep(BUSY_RETRY_SECONDS)
    raise AssertionError("unreachable")


def run_on_cluster(
    address: str, raw_dir: str, out_dir: str, config: Any, full: bool, add_raw: bool, logger, attempts: int
) -> dict[str, Any]:
    """The run with every batch a Prefect task on the Dask cluster at ``address`` (prefect-dask's DaskTaskRunner)."""
    from prefect_dask import DaskTaskRunner

    from flows.dask_batches import PrefectDaskExecutor

    if __name__ != "flows.clean":
        # A deployment loads this file as a module of another name ("clean"), which
        # the Dask scheduler cannot import when it reads the tasks' context: send
        # this module's code by value instead.
        import cloudpickle

        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    # Refused in one line (a bad address, no scheduler, no workers) before the task runner tries.
    client = dask_cluster.connect(address)
    try:
        with DaskTaskRunner(address=address) as runner:
            return run_with_retries(
                raw_dir, out_dir, config, full, add_raw, logger, attempts, PrefectDaskExecutor(runner, client)
            )
    finally:
        client.close()


@flow(name="clean-corpus", log_prints=False)
def clean_corpus(
    raw_dir: str = "data/raw",
    out_dir: str = "data/clean",
    options: Optional[Options] = None,
    full: bool = False,
    add_raw: bool = False,
    cluster: Optional[str] = None,
) -> dict[str, Any]:
    """Clean the new and changed pages under ``raw_dir`` into the tables under ``out_dir``.

    Incremental by default: raw files processed by an earlier run are skipped
    unless their bytes changed, and new articles are deduplicated against
    every article already in ``out_dir``. Returns the run summary, also
    written to ``out_dir/summary.json``.

    Args:
        raw_dir: Folder or URL (s3://bucket/pages) of raw pages (.txt, .html, .jsonl), read recursively.
            Deployments accept only places under their allowed roots (DOCCLEAN_ALLOWED_ROOTS).
        out_dir: Output folder or URL (s3://bucket/clean) of the Parquet tables; one run at a time writes it.
        options: Cleaning options, the keys of a --config TOML file; each field says what it does.
        full: Rebuild the output from every raw file instead of only new and changed ones.
        add_raw: Add this raw folder to an output that was built from another one.
        cluster: Address of a Dask scheduler (tcp://HOST:8786) to run the batches on, each a Prefect task
            (prefect-dask), and the dedup step; empty: worker processes on the worker's machine. The raw
            and output folders must be at the same paths there.
    """
    logger = get_run_logger()
    config = parse_options(options)
    # A deployment's paths come from whoever can reach the API: only declared roots.
    raw_dir, out_dir = allowed_roots.guard(
        raw_dir, out_dir, config.patterns_file, config.follow_symlinks, required=deployment.id is not None
    )
    # A deployment run tries again; a flow called by hand (the CLI's --prefect) reports at once.
    attempts = BUSY_ATTEMPTS if deployment.id is not None else 1
    if cluster:
        summary = run_on_cluster(cluster, raw_dir, out_dir, config, full, add_raw, logger, attempts)
    else:
        summary = run_with_retries(raw_dir, out_dir, config, full, add_raw, logger, attempts)
    if summary.get("nothing_new"):
        logger.info(
            "nothing new in %s (%d files unchanged); %s left as it is", raw_dir, summary["files_unchanged"], out_dir
        )
    else:
        logger.info(
            "run %d done: %d records -> %d documents, %d duplicates, %d rejects in %.1f s; corpus now %d documents",
            summary["run"],
            summary["records"],
            summary["documents"],
            summary["duplicates"],
            summary["rejects"],
            summary["seconds"],
            summary["totals"]["documents"],
        )
    publish_report(summary)
    return summary
