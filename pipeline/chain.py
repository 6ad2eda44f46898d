"""The cleaning stages in order, as a plain list.

`clean_and_stage` runs them for one batch of files, the unit of work that
`pipeline.parallel` spreads over worker processes and the Prefect flow
reports on; `clean_files` runs them in-process (``docclean inspect``,
tests). Every stage takes a batch of `Document` records and the config and
returns the batch, same length, same order: a stage never drops a record,
it marks it rejected.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Sequence

from pipeline.artifacts import normalize_batch, paragraphs_batch, strip_batch
from pipeline.config import Config
from pipeline.dedup import sign_documents
from pipeline.document import REJECT_PROCESSING_ERROR, Document
from pipeline.encoding import repair_batch
from pipeline.filters import apply_filters
from pipeline.ingest import read_batch
from pipeline.metadata import extract_batch
from pipeline.page_dedup import dedup_pages
from pipeline.staging import stage_batch

Stage = Callable[[Sequence[Document], Config], list[Document]]

# read -> repair -> strip -> extract -> paragraphs -> page_dedup -> normalize -> filter.
# Page dedup comes as early as it can (it needs paragraphs), since a page that
# holds its body twice costs every later stage double.
CLEANING_STAGES: tuple[tuple[str, Stage], ...] = (
    ("repair", repair_batch),
    ("strip", strip_batch),
    ("extract", extract_batch),
    ("paragraphs", paragraphs_batch),
    ("page_dedup", dedup_pages),
    ("normalize", normalize_batch),
    ("filter", apply_filters),
)


def run_stage(name: str, stage: Stage, docs: Sequence[Document], config: Config) -> list[Document]:
    """Run a stage on a batch; if it raises, isolate the records that make it raise.

    One bad record must not sink its batch (or the run): the batch is retried
    record by record and each record that still fails is rejected with the error.
    """
    try:
        return stage(docs, config)
    except Exception:
        out = []
        for doc in docs:
            try:
                out.extend(stage([doc], config))
            except Exception as error:  # noqa: BLE001 - the error goes into the rejects table
                out.append(doc.rejecting(REJECT_PROCESSING_ERROR, f"{name}: {type(error).__name__}: {error}"))
        return out


def clean_records(docs: Sequence[Document], config: Config) -> list[Document]:
    docs = list(docs)
    for name, stage in CLEANING_STAGES:
        docs = run_stage(name, stage, docs, config)
    return docs


def clean_files(paths: Sequence[Path], raw_dir: Path, config: Config) -> list[Document]:
    """Read and clean files without orchestration; cross-page dedup is not applied."""
    return clean_records(read_batch(list(paths), raw_dir, config)[0], config)


def clean_and_stage(index: int, paths: Sequence[Path], raw_dir: Path, staging: Any, config: Config,
                    names_from: Path | None = None) -> dict[str, Any]:
    """Everything one batch of files goes through before cross-page dedup, ending on disk.

    read, the cleaning stages, sign, and the batch's staging files: the unit
    of work that runs in parallel (documents stay in the worker; only counts
    and seconds per stage come back). Returns the batch's counts, timings and
    the fingerprint of each file as it was read (the ledger's record of
    exactly what was processed).
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    docs, prints = read_batch(list(paths), raw_dir, config, names_from)
    seconds["read"] = time.perf_counter() - started
    for name, stage in CLEANING_STAGES:
        begun = time.perf_counter()
        docs = run_stage(name, stage, docs, config)
        seconds[name] = time.perf_counter() - begun
    begun = time.perf_counter()
    signatures = sign_documents(docs, config)
    seconds["sign"] = time.perf_counter() - begun
    begun = time.perf_counter()
    counts = stage_batch(staging, index, docs, signatures)
    seconds["stage"] = time.perf_counter() - begun
    return {**counts, "seconds": seconds, "files": prints}
