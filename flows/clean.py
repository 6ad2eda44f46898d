"""Prefect flow ``clean-corpus``: raw scraped pages in, clean deduplicated Parquet out.

plan (which raw files are new or changed) -> clean every batch (read ->
repair -> strip -> extract -> paragraphs -> page dedup -> normalize -> filter
-> sign, into a staging folder, in worker processes) -> decide (dedup against
everything already in the output) -> publish -> one atomic commit -> the run
report as Prefect artifacts. The steps and their order are
`pipeline.run.sequence`; this module makes each step a Prefect task and
reports progress.
"""

from __future__ import annotations

from typing import Any, Callable

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from pipeline import report, run as steps
from pipeline.config import Config

# Task inputs are runs, plans and dedup tables: caching them by input hash
# would cost more than the work itself.
TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE}
IO_RETRIES: dict[str, Any] = {"retries": 2, "retry_delay_seconds": 2}

# One task per step; every step is safe to run again, and those that read or
# write files retry.
TASKS = {step.__name__: task(step, name=step.__name__, **TASK_OPTIONS, **IO_RETRIES) for step in steps.STEPS}


def as_task(step: Callable, run: steps.Run, *args: Any) -> Any:
    # quote(): Prefect must not walk the run object looking for task results.
    return TASKS[step.__name__](quote(run), *(quote(a) for a in args))


def publish_report(summary: dict[str, Any]) -> None:
    """The run report as Prefect artifacts, beside the same summary in the run JSON."""
    create_table_artifact(key="docclean-counts", table=report.count_rows(summary), description="docclean run counts")
    create_markdown_artifact(key="docclean-report", markdown=report.markdown(summary), description="docclean run report")


def log_progress(logger) -> steps.Progress:
    def progress(totals: dict[str, Any]) -> None:
        elapsed = totals["elapsed"]
        logger.info(
            "batch %d/%d: %d/%d files, %d records (%d cleaned, %d rejected), %.0f records/s",
            totals["batches_done"], totals["batches"], totals["files_done"], totals["files_total"], totals["records"],
            totals["cleaned"], totals["rejected"], totals["records"] / elapsed if elapsed else 0.0,
        )
    return progress


@flow(name="clean-corpus", log_prints=False)
def clean_corpus(
    raw_dir: str = "data/raw",
    out_dir: str = "data/clean",
    options: dict[str, Any] | None = None,
    full: bool = False,
    add_raw: bool = False,
) -> dict[str, Any]:
    """Clean the new and changed pages under ``raw_dir`` into the tables under ``out_dir``.

    Incremental by default: raw files processed by an earlier run are skipped
    unless their bytes changed, and new articles are deduplicated against
    every article already in ``out_dir``. ``full`` rebuilds the output from
    every raw file. ``add_raw`` adds another raw folder to an output built
    from one. ``options`` are `pipeline.config.Config` options (the keys of a
    ``--config`` TOML file), validated before any input is read. Returns the
    run summary, also written to ``out_dir/summary.json``.
    """
    logger = get_run_logger()
    config = Config.from_mapping(options)
    with steps.opened(raw_dir, out_dir, config, full=full, add_raw=add_raw, on_wait=logger.info,
                      progress=log_progress(logger)) as run:
        for note in run.notes:
            logger.warning(note)
        summary = steps.sequence(run, as_task)
    if summary.get("nothing_new"):
        logger.info("nothing new in %s (%d files unchanged); %s left as it is", raw_dir, summary["files_unchanged"], out_dir)
    else:
        logger.info(
            "run %d done: %d records -> %d documents, %d duplicates, %d rejects in %.1f s; corpus now %d documents",
            summary["run"], summary["records"], summary["documents"], summary["duplicates"], summary["rejects"],
            summary["seconds"], summary["totals"]["documents"],
        )
    publish_report(summary)
    return summary
