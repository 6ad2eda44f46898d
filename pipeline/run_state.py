"""What one run knows as its steps go (`Run`), and how it reports its progress.

`pipeline.run` holds the steps and their order; each step is a function of
the `Run` and leaves what it found on it, for the steps after it and for the
run summary.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa

from pipeline.core.config import Config
from pipeline.core.stages import StageStats
from pipeline.dedup import clusters
from pipeline.executors.base import Executor
from pipeline.executors.local_pool import LocalExecutor
from pipeline.learn.learned import Learned
from pipeline.read import ledger
from pipeline.read.ingest import PathList
from pipeline.store import remote, report
from pipeline.store.part_writer import Published
from pipeline.store.staging import Staging

Progress = Callable[[dict[str, Any]], None]


@dataclass
class Run:
    """One run over a raw folder into an output folder, and what each step found.

    ``names_from`` is the first raw folder of the output: every source path
    is relative to it, so two raw folders added to one output never give one
    file's name to another (see `raw_roots`). ``progress`` is called after
    every batch with the totals so far; ``executor`` runs the batches and
    the corpus-wide steps (`pipeline.executors`: by default worker processes
    on this machine, kept for both passes). ``stats`` times every stage and
    step and counts what each stage saw and rejected. ``raw_name``
    and ``out_name`` are the folders or URLs as the user gave them;
    ``remote`` is the output's object-storage side, when ``out`` is a URL
    (``out`` is then its local working copy).
    """

    raw: Path
    out: Path
    config: Config
    raw_name: str = ""
    out_name: str = ""
    remote: remote.RemoteOutput | None = None
    full: bool = False
    names_from: Path | None = None
    roots: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    progress: Progress | None = None
    executor: Executor = field(default_factory=LocalExecutor)
    started: float = field(default_factory=time.perf_counter)
    stats: StageStats = field(default_factory=StageStats)
    number: int = 0
    plan: ledger.Plan | None = None
    staging: Staging | None = None
    cleaned: dict[str, Any] = field(default_factory=dict)
    support: Path | None = None
    learned: Learned | None = None
    relearned: pa.Table | None = None
    earlier: clusters.Earlier | None = None
    clustering: clusters.Clustering | None = None
    published: Published | None = None
    summary: dict[str, Any] | None = None

    @property
    def nothing_new(self) -> bool:
        """No new or changed file, and no full rebuild asked for: nothing to write."""
        return self.plan is not None and self.plan.nothing_new and not self.full

    def facts(self) -> dict[str, Any]:
        """What the summary reports about the run itself."""
        facts: dict[str, Any] = {
            "raw_dir": self.raw_name or str(self.raw),
            "out_dir": self.out_name or str(self.out),
            "full": self.full,
            "raw_roots": self.roots,
        }
        if self.plan is not None:
            facts.update(self.plan.facts())
        if self.cleaned:
            # Records read again (`reread`) are this run's records too: their rows are in its parts.
            facts["records"] = self.cleaned["records"]
            facts["records_reread"] = self.cleaned.get("records_reread", 0)
        if self.learned is not None:
            facts["boilerplate_learned"] = report.learned_templates(self.learned.table)
        if self.relearned is not None:
            # (site, template, edge) whose learning changed since the output's pages were cleaned.
            facts["boilerplate_relearned"] = self.relearned.num_rows
        if self.clustering is not None:
            facts.update(self.clustering.stats)
        facts["seconds_by_stage"] = {k: round(v, 3) for k, v in self.stats.seconds.items()}
        if self.stats.counts:
            facts["records_by_stage"] = self.stats.counts
        return facts

    def batches(self) -> list[list[str]]:
        """The files to process in batches of at most ``batch_size``, as path strings (a `Path` each would cost ~300 B a file)."""
        files = self.plan.process if self.plan is not None else []
        names = files.names() if isinstance(files, PathList) else [os.fspath(path) for path in files]
        return [names[start:end] for start, end in even_batches(len(names), self.config.batch_size)]


def even_batches(count: int, most: int) -> list[tuple[int, int]]:
    """(start, end) of as few batches of at most ``most`` items as hold ``count``, their sizes within one of each other.

    A last batch much smaller than the others left a worker idle at the end of each pass.

    >>> even_batches(10, 4), even_batches(8, 4), even_batches(0, 4)
    ([(0, 3), (3, 6), (6, 10)], [(0, 4), (4, 8)], [])
    """
    batches = -(-count // most)
    bounds = [count * k // batches for k in range(batches + 1)] if batches else [0]
    return list(zip(bounds, bounds[1:]))


def report_progress(run: Run, step: str, totals: dict[str, Any], total_files: int, begun: float) -> None:
    """Tell ``run.progress`` how far a pass has come (after every batch)."""
    if run.progress is not None:
        now = time.perf_counter()
        run.progress(
            {
                "step": step,
                "pass_elapsed": now - begun,
                "records": totals["records"],
                "cleaned": totals.get("cleaned", 0),
                "rejected": totals.get("rejected", 0),
                "batches": totals["batches"],
                "batches_done": totals["batches_done"],
                "files_done": totals["files_done"],
                "files_total": total_files,
                "elapsed": now - run.started,
            }
        )
