"""The cleaning stages in order, as plain lists, in two passes around what the corpus teaches.

    read -> repair -> strip -> paragraphs -> page_dedup     (the reading pass)
    learn: boilerplate templates counted over every page    (`pipeline.learn.support`)
    extract -> normalize -> filter -> sign                   (the cleaning pass)

The reading pass ends with a page's lines as they will be cleaned (a body
held twice already gone), so the edges the learning sees are the pages'
real edges; the cleaning pass then takes out learned boilerplate with the
vocabulary's. `read_batch_pages` and `clean_staged_batch` are the units of
work that `pipeline.executors.local_pool` spreads over worker processes; `clean_records`
and `clean_files` run everything in-process (``docclean inspect``, tests).
Every stage takes a batch of `Document` records and the config and returns
the batch, same length, same order: a stage never drops a record, it marks
it rejected.
"""

from __future__ import annotations

import collections
import functools
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from pipeline.clean.artifacts import paragraphs_batch, strip_batch
from pipeline.clean.punctuation import normalize_batch
from pipeline.clean.boilerplate import page_site, page_templates
from pipeline.core.config import Config
from pipeline.dedup.sign import sign_documents
from pipeline.core.document import REJECT_PROCESSING_ERROR, Document
from pipeline.clean.encoding import repair_batch
from pipeline.clean.filters import apply_filters
from pipeline.read.ingest import read_batch
from pipeline.read.ledger import prints_table
from pipeline.clean.metadata import extract_batch
from pipeline.clean.page_dedup import dedup_pages
from pipeline.learn.support import EdgeRows, Learned, TemplateCounts, learn
from pipeline.store.staging import (drop_pages, load_learned, load_pages, stage_batch, stage_edges, stage_files, stage_pages,
                              stage_template_rows, stage_template_texts, staged_counts)

Stage = Callable[[Sequence[Document], Config], list[Document]]

# Page dedup comes as early as it can (it needs paragraphs), since a page that
# holds its body twice costs every later stage double.
READING_STAGES: tuple[tuple[str, Stage], ...] = (
    ("repair", repair_batch),
    ("strip", strip_batch),
    ("paragraphs", paragraphs_batch),
    ("page_dedup", dedup_pages),
)


def cleaning_stages(learned: Learned | None, known: dict[str, int] | None = None) -> tuple[tuple[str, Stage], ...]:
    """The stages after learning; ``learned`` is the boilerplate the corpus taught (None: none).

    ``known``: the template hash of each line the reading pass templated (`count_templates`), so that
    the cleaning pass does not template them again.
    """
    return (
        ("extract", functools.partial(extract_batch, learned=learned, known=known)),
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


def run_stages(stages: Sequence[tuple[str, Stage]], docs: list[Document], config: Config, seconds: dict[str, float]) -> list[Document]:
    for name, stage in stages:
        begun = time.perf_counter()
        docs = run_stage(name, stage, docs, config)
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - begun
    return docs


def count_templates(docs: Sequence[Document], counts: TemplateCounts | None = None,
                    known: dict[str, int] | None = None, edges: EdgeRows | None = None) -> TemplateCounts:
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
    """Every stage over records in-process; without ``learned``, the records teach themselves."""
    seconds: dict[str, float] = {}
    docs = run_stages(READING_STAGES, list(docs), config, seconds)
    known: dict[str, int] = {}
    if learned is None and config.learn_boilerplate:
        learned, _ = learn(count_templates(docs, known=known).support(min_pages=config.boilerplate_min_pages), config.boilerplate_min_pages)
    return run_stages(cleaning_stages(learned, known), docs, config, seconds)


def clean_files(paths: Sequence[Path], raw_dir: Path, config: Config, learned: Learned | None = None,
                names_from: Path | None = None) -> list[Document]:
    """Read and clean files without orchestration; cross-page dedup is not applied.

    ``names_from`` is the folder source paths (and doc_ids) are relative to, when not ``raw_dir``.
    """
    return clean_records(read_batch(list(paths), raw_dir, config, names_from)[0], config, learned)


def read_batch_pages(index: int, paths: Sequence[Path], raw_dir: Path, staging: Any, config: Config,
                     names_from: Path | None = None, stage_templates: bool = False, count: bool = True) -> dict[str, Any]:
    """The reading pass of one batch of files, ending in the staging folder.

    Returns the batch's counts (records, files), seconds per stage and the
    batch's template counts for learning (with ``stage_templates`` they are
    staged instead, for a cluster to count: `shuffle_support`; without
    ``count``, for pages read again once learning is done, there are none).
    The rows of each page's edges, kept with the output, and the fingerprint
    of each file as it was read (the ledger's record of exactly what was
    processed) are staged beside the pages.
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    docs, prints = read_batch(list(paths), raw_dir, config, names_from)
    seconds["read"] = time.perf_counter() - started
    docs = run_stages(READING_STAGES, docs, config, seconds)
    begun = time.perf_counter()
    known: dict[str, int] = {}
    edges = EdgeRows()
    counts = count_templates(docs, known=known, edges=edges) if config.learn_boilerplate else TemplateCounts()
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
    seconds["learn"] = time.perf_counter() - begun
    begun = time.perf_counter()
    stage_pages(staging, index, docs, known)
    seconds["stage"] = time.perf_counter() - begun
    stage_files(staging, index, prints_table(prints, collections.Counter(doc.source_path for doc in docs)))
    return {"records": len(docs), "seconds": seconds, "files": len(prints), "templates": counts}


def clean_staged_batch(index: int, staging: Any, config: Config) -> dict[str, Any]:
    """The cleaning pass of one staged batch: extract -> normalize -> filter -> sign -> stage.

    The learned templates come from the staging folder (`staging.load_learned`: once per worker process).
    """
    seconds: dict[str, float] = {}
    done = staged_counts(staging, index)
    if done is not None and not staging.pages(index).exists():
        # This batch was cleaned before (a retried task, a rerun on a Dask worker
        # after the first one died): its parts are staged, its input is gone.
        return {**done, "seconds": seconds}
    begun = time.perf_counter()
    docs, known = load_pages(staging, index)
    seconds["stage"] = time.perf_counter() - begun
    docs = run_stages(cleaning_stages(load_learned(staging), known), docs, config, seconds)
    begun = time.perf_counter()
    signatures = sign_documents(docs, config)
    seconds["sign"] = time.perf_counter() - begun
    begun = time.perf_counter()
    counts = stage_batch(staging, index, docs, signatures)
    drop_pages(staging, index)
    seconds["stage"] += time.perf_counter() - begun
    return {**counts, "seconds": seconds}
