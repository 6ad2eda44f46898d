"""The one run sequence: open, plan, clean, decide, publish, commit.

    with opened(raw, out, config) as run:
        summary = sequence(run)

`opened` takes the output's lock, finishes or clears what a crashed run left,
and checks that this run can add to the output (same settings, same raw
folder). `sequence` then runs the steps in order, each a function of the
`Run`: the Prefect flow (`flows/clean.py`) wraps each step as a task by
passing its own ``call``, the CLI and the tests call them directly. The order
of the steps lives here and nowhere else.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pyarrow as pa

from pipeline import store
from pipeline.chain import clean_staged_batch, read_batch_pages
from pipeline.core.config import Config
from pipeline.core.schema import SCHEMA_VERSION
from pipeline.dedup import clusters, index
from pipeline.executors.base import Executor
from pipeline.executors.local_pool import LocalExecutor
from pipeline.learn.learned import Learned, learn, learned_from, relearned
from pipeline.learn.support import TemplateCounts, support_of
from pipeline.read import ledger
from pipeline.read.raw_folders import admitted, placed
from pipeline.run_state import Progress, Run, even_batches, report_progress
from pipeline.store import delta, remote, report
from pipeline.store import publish as publishing
from pipeline.store.objects import is_url
from pipeline.store.staging import open_staging, save_support, template_texts


@contextlib.contextmanager
def opened(
    raw: str | Path,
    out: str | Path,
    config: Config,
    *,
    full: bool = False,
    add_raw: bool = False,
    on_wait: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
    tell: Callable[[str], None] | None = None,
) -> Iterator[Run]:
    """Hold the output for one run: its lock, a clean state, and the checks that come before any reading.

    Raises `store.OutputError` (bad folders, other settings, another raw
    folder) or `store.BusyError` (another run holds the output) before any
    input is read. ``executor`` runs the work elsewhere (`pipeline.executors.dask_cluster.DaskExecutor`;
    default: worker processes here, stopped when the run ends); a distributed one's workers get absolute
    paths, since their working folder is not ours. ``tell`` hears how far downloading objects has come
    (`remote.mirrored`).
    """
    notes: list[str] = []
    with remote.mirrored(raw, out, config.lock_wait_seconds, on_wait, notes, tell=tell) as places:
        raw_path, out_path = placed(places.raw, places.out)
        if executor is not None and executor.distributed:
            raw_path, out_path = raw_path.absolute(), out_path.absolute()
        with store.locked(out_path, config.lock_wait_seconds, on_wait=on_wait):
            notes += [f"{note} in {places.out_name}" for note in store.recover(out_path)]
            if places.remote is None:
                last = store.read_summary(out_path)
                if last is not None and last.get("schema_version") == SCHEMA_VERSION:
                    # A run cut short between its commit and its Delta log: the log catches up.
                    delta.sync_output(out_path, int(last.get("run") or 0))
            roots = admitted(raw_path, out_path, config, full, add_raw, places.raw_name)
            run = Run(
                raw=raw_path,
                out=out_path,
                config=config,
                raw_name=places.raw_name,
                out_name=places.out_name,
                remote=places.remote,
                full=full,
                names_from=raw_path if is_url(roots[0]) else Path(roots[0]),
                roots=roots,
                notes=notes,
                progress=progress,
            )
            try:
                # The workers stop before a failed run's staging goes: none is left writing there.
                with contextlib.ExitStack() as stack:
                    run.executor = executor or stack.enter_context(LocalExecutor())
                    yield run
            finally:
                if run.staging is not None and run.summary is None:
                    store.discard_staging(run.staging.path)
                    # What a failed publish wrote (a full disk stops it halfway) goes too.
                    store.remove_unfinished(out_path)


def plan(run: Run) -> ledger.Plan:
    """Which raw files are new or changed since the last run (all of them for a full rebuild)."""
    run.executor.start(run.config)
    run.plan = ledger.plan_run(run.raw, run.out, run.full, run.names_from, run.config.follow_symlinks)
    if run.full and run.plan.nothing_new:
        run.notes.append(f"full rebuild of an empty raw folder {run.raw}: the output will hold no rows")
    return run.plan


def read_pages(run: Run) -> dict[str, Any]:
    """The reading pass of every batch (`chain.READING`), staged.

    Returns the counts and the template counts the learning step needs; the
    seconds each stage took (CPU seconds: with several workers they add up to
    more than the wall time of the step) go to ``run.stats``. The
    fingerprint of every file read is staged by its batch.
    """
    run.number = store.next_run(run.out)
    run.staging = open_staging(run.out)
    batches = run.batches()
    totals: dict[str, Any] = {
        "records": 0,
        "records_reread": 0,
        "batches": len(batches),
        "batches_done": 0,
        "files_done": 0,
        "templates": TemplateCounts(),
    }
    # A cluster counts the template rows where they are staged: they are not sent back.
    stage_rows = run.executor.distributed
    jobs = [
        (index, paths, run.raw, run.staging, run.config, run.names_from, stage_rows)
        for index, paths in enumerate(batches)
    ]
    begun = time.perf_counter()
    for counts in run.executor.map(read_batch_pages, jobs, run.config):
        run.stats.merge(counts["stats"])
        totals["records"] += counts["records"]
        totals["templates"].merge(counts["templates"])
        totals["batches_done"] += 1
        totals["files_done"] += counts["files"]
        report_progress(run, "read", totals, len(run.plan.process) if run.plan else 0, begun)
    run.cleaned = totals
    return totals


def learn_templates(run: Run) -> Learned:
    """Boilerplate templates from this run's pages and what earlier runs kept: their pages' edges and their support.

    Also finds what changed from what the output's pages were cleaned with
    (``run.relearned``): the earlier pages that hold such a template at that
    edge are read again (`reread`).
    """
    earlier = None if run.full else index.read_templates(run.out)
    earlier_edges = [] if run.full else store.parts(run.out, "edges")
    counted = run.executor.counted_templates(
        run.cleaned["templates"],
        run.staging.parts("template-rows"),
        earlier_edges,
        run.plan.changed,
        run.cleaned["records"] * 20,
        run.config.boilerplate_min_pages,
    )
    run.cleaned["templates"] = None  # the per-article rows: the largest thing the driver held
    support = support_of(counted, earlier, functools.partial(template_texts, run.staging))
    del counted
    run.learned, support = learn(support, run.config.boilerplate_min_pages if run.config.learn_boilerplate else None)
    run.relearned = relearned(learned_from(earlier), run.learned)
    # At a million pages the support is a hundred MiB that only publish needs.
    run.support = save_support(run.staging, support)
    return run.learned


def reread(run: Run) -> dict[str, Any]:
    """Read again the earlier pages that what learning now knows cleans otherwise.

    A template newly learned at an edge (or no longer learned) changes the
    pages that hold it there: they go through the reading pass again and are
    cleaned with this run's pages, as a changed file is, so that an
    incremental output holds the text a full rebuild would. A file no longer
    in the raw folder cannot be read: its rows stay and the run says so.
    """
    totals = run.cleaned
    if run.full or run.relearned is None or not run.relearned.num_rows:
        return totals
    # Of the earlier files this run processes anyway (changed ones) the rows leave already.
    processing = set(run.plan.changed)
    names_from = run.names_from or run.raw
    prefix = "" if run.raw == names_from else ledger.relative_name(run.raw, names_from) + "/"
    found, gone = [], 0
    for name in index.pages_with(run.out, run.relearned):
        if name in processing:
            continue
        path = names_from / name
        if ledger.under(name, prefix) and path.is_file():
            found.append(name)
        else:
            gone += 1
    run.plan = dataclasses.replace(run.plan, reread=found, reread_gone=gone)
    if gone:
        run.notes.append(
            f"{gone} earlier files hold furniture this run learned differently but are no longer in the raw "
            f"folder: their rows keep the text they were cleaned to"
        )
    first = totals["batches"]
    batches = [
        [str(names_from / name) for name in found[start:end]]
        for start, end in even_batches(len(found), run.config.batch_size)
    ]
    totals["batches"] += len(batches)
    stage_rows = run.executor.distributed
    jobs = [
        (first + k, paths, run.raw, run.staging, run.config, run.names_from, stage_rows, False)
        for k, paths in enumerate(batches)
    ]
    begun = time.perf_counter()
    for counts in run.executor.map(read_batch_pages, jobs, run.config):
        run.stats.merge(counts["stats"])
        totals["records"] += counts["records"]
        totals["records_reread"] += counts["records"]
        totals["batches_done"] += 1
        totals["files_done"] += counts["files"]
        report_progress(run, "reread", totals, len(found), begun)
    return totals


def clean(run: Run) -> dict[str, Any]:
    """The cleaning pass of every staged batch (`chain.CLEANING`), staged."""
    totals = run.cleaned
    totals.update(cleaned=0, rejected=0, batches_done=0)
    # The learned templates go with every batch, the same object each time (an executor sends it once per worker).
    jobs = [(index, run.staging, run.config, run.learned) for index in range(totals["batches"])]
    begun = time.perf_counter()
    for counts in run.executor.map(clean_staged_batch, jobs, run.config):
        run.stats.merge(counts["stats"])
        totals["cleaned"] += counts["cleaned"]
        totals["rejected"] += counts["rejected"]
        totals["batches_done"] += 1
        report_progress(run, "clean", totals, len(run.plan.process) + len(run.plan.reread) if run.plan else 0, begun)
    return totals


def decide(run: Run) -> clusters.Clustering:
    """Cross-page dedup of this run's documents against everything already in the output.

    The executor searches: on a Dask cluster the signatures stay on the
    workers (`shuffle_dedup`); on one machine they are read into this process.
    """
    settings = run.config.dedup.minhash
    with run.stats.timed("index"):
        run.earlier = (
            None
            if run.full
            else index.read_earlier(run.out, settings, run.plan.leaving, signatures=not run.executor.distributed)
        )
    # Texts for the pairs too close to the threshold to decide on their estimate:
    # this run's documents first, then the ones earlier runs published.
    parts = [*run.staging.parts("documents"), *store.parts(run.out, "documents"), *store.parts(run.out, "duplicates")]
    texts = index.TextFinder(parts)
    earlier_signatures = [] if run.full else store.parts(run.out, "signatures")
    with run.stats.timed("dedup"):
        run.clustering = run.executor.clustered(
            run.staging.parts("signatures"), earlier_signatures, run.config, run.earlier, texts
        )
    return run.clustering


def publish(run: Run) -> dict[str, Any]:
    """This run's parts, the earlier parts dedup changed and the ledger, as temp files; and the run summary."""
    run.published = publishing.publish(
        run.staging, run.clustering, run.plan, run.earlier, run.config.dedup.minhash, run.number, run.support
    )
    try:
        summary = report.run_summary(run.number, run.facts(), run.published, run.clustering, run.config)
    except report.CountsDoNotAddUp:
        run.published.discard()
        raise
    return summary


def commit(run: Run, summary: dict[str, Any]) -> dict[str, Any]:
    """Make the whole run visible at once, its report beside the tables."""
    summary["seconds"] = round(time.perf_counter() - run.started, 3)
    committed = publishing.commit(run.staging, summary, run.published, delta_log=run.remote is None)
    if run.remote is not None:
        # The local copy is committed; the run is visible at the URL once its manifest is.
        run.remote.push(committed["run"])
    run.summary = committed
    return run.summary


# Every step of `sequence`, in order: the flow makes each a Prefect task.
STEPS = (plan, read_pages, learn_templates, reread, clean, decide, publish, commit)


def release_memory() -> None:
    """Hand what a step freed back to the system before the next one.

    Arrow's allocator keeps freed blocks for reuse, and glibc keeps freed
    small blocks in its heap: without this, the driver's resident size is the
    sum of every step's peak, not the largest of them (at a million pages,
    1.5 GiB against under 1 GiB).
    """
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def direct(step: Callable, *args: Any) -> Any:
    return step(*args)


def sequence(run: Run, call: Callable[..., Any] = direct) -> dict[str, Any]:
    """Run every step in order and return the run summary; ``call(step, *args)`` runs one step.

    A run with nothing new writes nothing and reports so.
    """
    done: dict[str, Any] = {}
    for step in STEPS:
        args = (run, done["publish"]) if step is commit else (run,)
        with run.stats.timed(step.__name__):
            try:
                done[step.__name__] = call(step, *args)
            finally:
                release_memory()
        if step is plan and run.nothing_new:
            run.summary = report.nothing_new(run.facts(), time.perf_counter() - run.started)
            return run.summary
        if step is publish:
            # The summary was made inside publish: its own time is added now that it is known.
            done["publish"]["seconds_by_stage"]["publish"] = round(run.stats.seconds["publish"], 3)
    return done["commit"]


def execute(
    raw: str | Path,
    out: str | Path,
    config: Config | None = None,
    *,
    full: bool = False,
    add_raw: bool = False,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One whole run in this process, without Prefect; returns the run summary."""
    with opened(raw, out, config or Config(), full=full, add_raw=add_raw, on_wait=on_wait, progress=progress) as run:
        return sequence(run)
