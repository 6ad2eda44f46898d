"""Prefect flow ``clean-corpus``: raw scraped pages in, clean deduplicated Parquet out.

plan (which raw files are new or changed) -> clean every batch (read ->
repair -> strip -> extract -> paragraphs -> page dedup -> normalize -> filter
-> sign, into a staging folder, in worker processes) -> dedup against
everything already in the output -> one atomic commit -> the run report as
Prefect artifacts. All logic lives in `pipeline`; this module only orders the
steps and reports progress.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator, Sequence

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from pipeline import dedup, ledger, parallel, report, store, write
from pipeline.config import Config

# Task inputs are batches, plans and dedup tables: caching them by input hash
# would cost more than the work itself.
TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE}
IO_RETRIES: dict[str, Any] = {"retries": 2, "retry_delay_seconds": 2}


@task(**TASK_OPTIONS, **IO_RETRIES)
def plan_inputs(raw_dir: Path, out_dir: Path, full: bool, follow_symlinks: str) -> ledger.Plan:
    return ledger.plan_run(raw_dir, out_dir, full, follow_symlinks=follow_symlinks)


@task(**TASK_OPTIONS, **IO_RETRIES)
def clean_batches(batches: list[list[Path]], raw_dir: Path, staging: write.Staging, config: Config) -> dict[str, Any]:
    """read -> repair -> strip -> extract -> paragraphs -> page_dedup -> normalize -> filter -> sign -> stage.

    Every batch, in worker processes (`pipeline.parallel`); progress is logged
    per batch. Returns the counts and the seconds each stage took, summed over
    batches (CPU seconds: with several workers they add up to more than the
    wall time, which is ``seconds["clean"]``).
    """
    logger = get_run_logger()
    started = time.perf_counter()
    total: dict[str, Any] = {"records": 0, "cleaned": 0, "rejected": 0, "seconds": {}, "files": {}}
    workers = parallel.worker_count(config)
    logger.info("%d batches over %d worker processes", len(batches), min(workers, len(batches)))
    for done, counts in enumerate(parallel.clean_batches(batches, raw_dir, staging, config), start=1):
        for stage, spent in counts["seconds"].items():
            total["seconds"][stage] = total["seconds"].get(stage, 0.0) + spent
        for key in ("records", "cleaned", "rejected"):
            total[key] += counts[key]
        total["files"].update(counts["files"])
        elapsed = time.perf_counter() - started
        logger.info(
            "batch %d/%d: %d records (%d cleaned, %d rejected), %.0f records/s",
            done, len(batches), total["records"], total["cleaned"], total["rejected"],
            total["records"] / elapsed if elapsed else 0.0,
        )
    total["seconds"]["clean"] = time.perf_counter() - started
    return total


@task(**TASK_OPTIONS, **IO_RETRIES)
def read_earlier(out_dir: Path, config: Config, changed: list[str]) -> dedup.Earlier:
    return write.read_earlier(out_dir, config, changed)


@task(**TASK_OPTIONS)
def deduplicate(staging: write.Staging, earlier: dedup.Earlier | None, config: Config) -> dedup.Clustering:
    return dedup.cluster(write.read_staged_signatures(staging, config), config, earlier)


@task(**TASK_OPTIONS, **IO_RETRIES)
def publish(staging: write.Staging, clustering: dedup.Clustering, plan: ledger.Plan, earlier: dedup.Earlier | None,
            config: Config, run: int, facts: dict[str, Any], prints: dict[str, ledger.Fingerprint]) -> tuple[dict[str, Any], list, list]:
    return write.publish(staging, clustering, plan, earlier, config, run, facts, prints)


@task(**TASK_OPTIONS, **IO_RETRIES)
def commit(staging: write.Staging, summary: dict[str, Any], replace: list, delete: list) -> dict[str, Any]:
    return write.commit(staging, summary, replace, delete)


def publish_report(summary: dict[str, Any]) -> None:
    """The run report as Prefect artifacts, beside the same summary in the run JSON."""
    create_table_artifact(key="docclean-counts", table=report.count_rows(summary), description="docclean run counts")
    create_markdown_artifact(key="docclean-report", markdown=report.markdown(summary), description="docclean run report")


def batched(items: Sequence[Path], size: int) -> Iterator[list[Path]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@flow(name="clean-corpus", log_prints=False)
def clean_corpus(
    raw_dir: str = "data/raw",
    out_dir: str = "data/clean",
    options: dict[str, Any] | None = None,
    full: bool = False,
) -> dict[str, Any]:
    """Clean the new and changed pages under ``raw_dir`` into the tables under ``out_dir``.

    Incremental by default: raw files processed by an earlier run are skipped
    unless their bytes changed, and new articles are deduplicated against
    every article already in ``out_dir``. ``full`` rebuilds the output from
    every raw file. ``options`` are `pipeline.config.Config` options (the keys
    of a ``--config`` TOML file), validated before any input is read. Returns
    the run summary, also written to ``out_dir/summary.json``.
    """
    logger = get_run_logger()
    config = Config.from_mapping(options)
    raw, out = Path(raw_dir), Path(out_dir)
    store.check_folders(raw, out)
    with store.locked(out, config.lock_wait_seconds, on_wait=logger.info):
        for note in store.recover(out):
            logger.warning("%s in %s", note, out)
        if not full:
            store.check_compatible(out, config)
        summary = _run_locked(raw, out, config, full, logger)
    publish_report(summary)
    return summary


def _run_locked(raw: Path, out: Path, config: Config, full: bool, logger) -> dict[str, Any]:
    started = time.perf_counter()
    seconds: dict[str, float] = {}

    def timed(stage: str, call, *args):
        begun = time.perf_counter()
        result = call(*args)
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - begun
        return result

    plan = timed("plan", plan_inputs, raw, out, full, config.follow_symlinks)
    facts: dict[str, Any] = {
        "raw_dir": str(raw),
        "out_dir": str(out),
        "full": full,
        **plan.facts(),
    }
    if plan.nothing_new:
        logger.info("nothing new in %s (%d files unchanged); %s left as it is", raw, plan.unchanged, out)
        return report.nothing_new(facts, time.perf_counter() - started)
    run = store.next_run(out)
    staging = write.open_staging(out)
    batches = list(batched(plan.process, config.batch_size))
    logger.info(
        "run %d: %d new or changed files (%d unchanged) in %d batches of up to %d",
        run, len(plan.process), plan.unchanged, len(batches), config.batch_size,
    )
    total = clean_batches(batches, raw, staging, config)
    for stage, spent in total["seconds"].items():
        seconds[stage] = seconds.get(stage, 0.0) + spent

    earlier = None if full else timed("index", read_earlier, out, config, plan.changed)
    clustering = timed("dedup", deduplicate, staging, quote(earlier), config)
    facts.update(records=total["records"], **clustering.stats)
    facts["seconds_by_stage"] = {k: round(v, 3) for k, v in seconds.items()}
    summary, replace, delete = timed("publish", publish, staging, quote(clustering), quote(plan), quote(earlier), config, run, facts, quote(total["files"]))
    summary["seconds_by_stage"]["publish"] = round(seconds["publish"], 3)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    summary = commit(staging, summary, replace, delete)
    logger.info(
        "run %d done: %d records -> %d documents, %d duplicates, %d rejects in %.1f s; corpus now %d documents",
        run, summary["records"], summary["documents"], summary["duplicates"], summary["rejects"],
        summary["seconds"], summary["totals"]["documents"],
    )
    return summary
