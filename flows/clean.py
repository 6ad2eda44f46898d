"""Prefect flow ``clean-corpus``: raw scraped pages in, clean deduplicated Parquet out.

read -> repair -> strip -> extract -> normalize -> page dedup -> filter -> sign,
batch by batch into a staging folder; then cross-page dedup over all
signatures, then an atomic publish of the output tables. All logic lives in
`pipeline`; this module only orders the stages and reports progress.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator, Sequence

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from pipeline import chain, dedup, ingest, write
from pipeline.config import Config
from pipeline.document import Document

# Batches are lists of records passed in memory between tasks: caching them
# by input hash would cost more than the stages themselves.
TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE}
IO_RETRIES: dict[str, Any] = {"retries": 2, "retry_delay_seconds": 2}


@task(**TASK_OPTIONS)
def discover_inputs(raw_dir: Path) -> list[Path]:
    return ingest.discover(raw_dir)


@task(**TASK_OPTIONS, **IO_RETRIES, task_run_name="read-{index}")
def read_files(index: int, paths: list[Path], raw_dir: Path, config: Config) -> list[Document]:
    return ingest.read_batch(paths, raw_dir, config)


@task(**TASK_OPTIONS, task_run_name="{name}-{index}")
def run_stage(name: str, index: int, stage: chain.Stage, docs: list[Document], config: Config) -> list[Document]:
    return chain.run_stage(name, stage, docs, config)


@task(**TASK_OPTIONS, task_run_name="sign-{index}")
def sign(index: int, docs: list[Document], config: Config) -> pa.Table:
    return dedup.sign_documents(docs, config)


@task(**TASK_OPTIONS, **IO_RETRIES, task_run_name="stage-{index}")
def stage_batch(index: int, staging: write.Staging, docs: list[Document], signatures: pa.Table) -> dict[str, int]:
    return write.stage_batch(staging, index, docs, signatures)


@task(**TASK_OPTIONS)
def deduplicate(staging: write.Staging, config: Config) -> tuple[pa.Table, dict[str, int]]:
    return dedup.cluster(write.read_staged_signatures(staging, config), config)


@task(**TASK_OPTIONS, **IO_RETRIES)
def publish(staging: write.Staging, decisions: pa.Table, config: Config, facts: dict[str, Any]) -> dict[str, Any]:
    return write.publish(staging, decisions, config, facts)


def batched(items: Sequence[Path], size: int) -> Iterator[list[Path]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@flow(name="clean-corpus", log_prints=False)
def clean_corpus(raw_dir: str = "data/raw", out_dir: str = "data/clean", options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Clean every page under ``raw_dir`` into Parquet tables under ``out_dir``.

    ``options`` are `pipeline.config.Config` options (the keys of a
    ``--config`` TOML file); they are validated before any input is read.
    Returns the run summary that is also written to ``out_dir/summary.json``.
    """
    logger = get_run_logger()
    config = Config.from_mapping(options)
    raw, out = Path(raw_dir), Path(out_dir)
    staging = write.open_staging(raw, out)
    started = time.perf_counter()
    seconds: dict[str, float] = {}

    def timed(stage: str, call, *args):
        begun = time.perf_counter()
        result = call(*args)
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - begun
        return result

    files = timed("discover", discover_inputs, raw)
    total = {"records": 0, "cleaned": 0, "rejected": 0}
    batches = list(batched(files, config.batch_size))
    logger.info("%d input files in %d batches of up to %d", len(files), len(batches), config.batch_size)
    done = 0
    for index, paths in enumerate(batches):
        docs = timed("read", read_files, index, paths, raw, config)
        # quote(): Prefect would otherwise walk every record of the batch looking
        # for futures, which costs as much as the stage itself.
        for name, stage in chain.CLEANING_STAGES:
            docs = timed(name, run_stage, name, index, stage, quote(docs), config)
        signatures = timed("sign", sign, index, quote(docs), config)
        counts = timed("stage", stage_batch, index, staging, quote(docs), quote(signatures))
        for key in total:
            total[key] += counts[key]
        done += len(paths)
        elapsed = time.perf_counter() - started
        logger.info(
            "batch %d/%d: %d/%d files, %d records (%d cleaned, %d rejected), %.0f files/s",
            index + 1, len(batches), done, len(files), total["records"], total["cleaned"], total["rejected"],
            done / elapsed if elapsed else 0.0,
        )

    decisions, dedup_stats = timed("dedup", deduplicate, staging, config)
    facts = {
        "raw_dir": str(raw),
        "out_dir": str(out),
        "files": len(files),
        "records": total["records"],
        **dedup_stats,
        # Publish is timed by the caller: the summary is written inside it.
        "seconds_by_stage": {k: round(v, 3) for k, v in seconds.items()},
        "seconds_before_publish": round(time.perf_counter() - started, 3),
    }
    summary = publish(staging, quote(decisions), config, facts)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    logger.info(
        "done: %d records -> %d documents, %d duplicates, %d rejects in %.1f s",
        summary["records"], summary["documents"], summary["duplicates"], summary["rejects"], summary["seconds"],
    )
    return summary
