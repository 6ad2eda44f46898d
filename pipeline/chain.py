"""The stages in order, as one list, and the two units of work that run them around what the corpus teaches.

    read -> repair -> strip -> paragraphs -> page_dedup     (the reading pass: `read_batch_pages`)
    learn: boilerplate templates counted over every page    (`pipeline.learn.support`, between the passes)
    extract -> normalize -> filter -> sign                   (the cleaning pass: `clean_staged_batch`)

`STAGES` is that list (`pipeline.core.stages` says what a stage is). The
reading pass ends with a page's lines as they will be cleaned (a body held
twice already gone), so the edges the learning sees are the pages' real
edges; the cleaning pass then takes out learned boilerplate with the
vocabulary's. An executor (`pipeline.executors`) spreads the two units of
work over worker processes or a cluster; `clean_records` and `clean_files`
run everything in-process (``docclean inspect``, tests).
"""

from __future__ import annotations

import collections
import time
from pathlib import Path
from typing import Any, Sequence

from pipeline.clean.artifacts import paragraphs_batch, strip_batch
from pipeline.clean.boilerplate import page_site, page_templates
from pipeline.clean.encoding import repair_batch
from pipeline.clean.filters import apply_filters
from pipeline.clean.metadata import extract_batch
from pipeline.clean.page_dedup import dedup_pages
from pipeline.clean.punctuation import normalize_batch
from pipeline.core.config import Config
from pipeline.core.document import Document
from pipeline.core.stages import Batch, Stage, StageStats, isolated, records, run_stages
from pipeline.dedup.sign import sign_documents
from pipeline.learn.learned import Learned, learn
from pipeline.learn.support import EdgeRows, TemplateCounts
from pipeline.read.ingest import read_batch
from pipeline.read.ledger import prints_table
from pipeline.store.staging import (
    drop_pages,
    load_pages,
    stage_batch,
    stage_edges,
    stage_files,
    stage_pages,
    stage_template_rows,
    stage_template_texts,
    staged_counts,
)


def _read(batch: Batch, config: Config) -> None:
    # Files to records: discovered, read within bounds, decoded (`pipeline.read.decoding`), split into records.
    batch.docs, batch.prints = read_batch(list(batch.paths), batch.raw_dir, config, batch.names_from)


def _extract(batch: Batch, config: Config) -> None:
    # With what learning found, and the template hashes the reading pass computed (not computed again).
    def extract(docs: Sequence[Document], config: Config) -> list[Document]:
        return extract_batch(docs, config, learned=batch.learned, known=batch.known)

    batch.docs = isolated("extract", extract, batch.docs, config)


def _sign(batch: Batch, config: Config) -> None:
    batch.signatures = sign_documents(batch.docs, config)


# Every stage, in order. Page dedup comes as early as it can (it needs
# paragraphs), since a page that holds its body twice costs every later stage
# double; learning (between the passes) needs the pages as page dedup leaves them.
STAGES: tuple[Stage, ...] = (
    Stage("read", _read, "pipeline.read.ingest, pipeline.read.decoding", on_records=False),
    Stage("repair", records(repair_batch, "repair"), "pipeline.clean.encoding"),
    Stage("strip", records(strip_batch, "strip"), "pipeline.clean.artifacts"),
    Stage("paragraphs", records(paragraphs_batch, "paragraphs"), "pipeline.clean.artifacts"),
    Stage("page_dedup", records(dedup_pages, "page_dedup"), "pipeline.clean.page_dedup"),
    Stage("extract", _extract, "pipeline.clean.metadata"),
    Stage("normalize", records(normalize_batch, "normalize"), "pipeline.clean.punctuation"),
    Stage("filter", records(apply_filters, "filter"), "pipeline.clean.filters"),
    Stage("sign", _sign, "pipeline.dedup.sign", on_records=False),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)
# The reading pass: up to page dedup. The cleaning pass: the rest.
READING = STAGES[: STAGE_NAMES.index("page_dedup") + 1]
CLEANING = STAGES[STAGE_NAMES.index("extract") :]


def count_templates(
    docs: Sequence[Document],
    counts: TemplateCounts | None = None,
    known: dict[str, int] | None = None,
    edges: EdgeRows | None = None,
) -> TemplateCounts:
    """Add the lines of every page of ``docs`` to ``counts`` (a new one by default), each page in its site.

    ``known`` gets the template hashes of edge lines; ``edges`` the rows the output keeps of each page's edges.
    """
    counts = counts or TemplateCounts()
    for doc in docs:
        if not doc.rejected and doc.text:
            site = page_site(doc)
            page = page_templates(doc.paragraphs, known)
            counts.add_page(site, page)
            if edges is not None:
                edges.add(doc.source_path, site, page[0])
    return counts


def clean_records(docs: Sequence[Document], config: Config, learned: Learned | None = None) -> list[Document]:
    """Every stage after reading over records in-process; without ``learned``, the records teach themselves."""
    stats = StageStats()
    batch = run_stages(READING[1:], Batch(docs=list(docs)), config, stats)
    if learned is None and config.learn_boilerplate:
        counts = count_templates(batch.docs, known=batch.known)
        learned, _ = learn(counts.support(min_pages=config.boilerplate_min_pages), config.boilerplate_min_pages)
    batch.learned = learned
    return run_stages(CLEANING[:-1], batch, config, stats).docs


def clean_files(
    paths: Sequence[Path], raw_dir: Path, config: Config, learned: Learned | None = None, names_from: Path | None = None
) -> list[Document]:
    """Read and clean files without orchestration; cross-page dedup is not applied.

    ``names_from`` is the folder source paths (and doc_ids) are relative to, when not ``raw_dir``.
    """
    return clean_records(read_batch(list(paths), raw_dir, config, names_from)[0], config, learned)


def read_batch_pages(
    index: int,
    paths: Sequence[Path],
    raw_dir: Path,
    staging: Any,
    config: Config,
    names_from: Path | None = None,
    stage_templates: bool = False,
    count: bool = True,
) -> dict[str, Any]:
    """The reading pass of one batch of files (`READING`), ending in the staging folder.

    Returns the batch's counts (records, files), its `StageStats` and the
    batch's template counts for learning (with ``stage_templates`` they are
    staged instead, for a cluster to count: `shuffle_support`; without
    ``count``, for pages read again once learning is done, there are none).
    The rows of each page's edges, kept with the output, and the fingerprint
    of each file as it was read (the ledger's record of exactly what was
    processed) are staged beside the pages.
    """
    stats = StageStats()
    batch = run_stages(READING, Batch(paths=list(paths), raw_dir=raw_dir, names_from=names_from), config, stats)
    docs = batch.docs
    with stats.timed("learn", time.process_time):
        edges = EdgeRows()
        counts = count_templates(docs, known=batch.known, edges=edges) if config.learn_boilerplate else TemplateCounts()
        stage_edges(staging, index, edges.table())
        if not count:
            counts = TemplateCounts()
        counts.fold()
        # The texts stay here, in staging: of a million distinct lines the driver keeps a few thousand.
        stage_template_texts(staging, index, counts.texts)
        counts.texts = {}
        if stage_templates:
            stage_template_rows(staging, index, counts.staged_rows())
            counts = TemplateCounts()
    with stats.timed("stage", time.process_time):
        stage_pages(staging, index, docs, batch.known)
        stage_files(staging, index, prints_table(batch.prints, collections.Counter(doc.source_path for doc in docs)))
    return {"records": len(docs), "stats": stats.as_dict(), "files": len(batch.prints), "templates": counts}


def clean_staged_batch(index: int, staging: Any, config: Config, learned: Learned | None) -> dict[str, Any]:
    """The cleaning pass of one staged batch (the stages of `CLEANING`), staged.

    ``learned``: the boilerplate templates learning found (None: none).
    """
    stats = StageStats()
    done = staged_counts(staging, index)
    if done is not None and not staging.pages(index).exists():
        # This batch was cleaned before (a retried task, a rerun on a Dask worker
        # after the first one died): its parts are staged, its input is gone.
        return {**done, "stats": stats.as_dict()}
    with stats.timed("stage", time.process_time):
        docs, known = load_pages(staging, index)
    batch = run_stages(CLEANING, Batch(docs=docs, known=known, learned=learned), config, stats)
    with stats.timed("stage", time.process_time):
        counts = stage_batch(staging, index, batch.docs, batch.signatures)
        drop_pages(staging, index)
    return {**counts, "stats": stats.as_dict()}
