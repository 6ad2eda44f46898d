"""Where a run's work happens: one interface, an executor per place (worker processes here, a Dask cluster).

A run needs three things done that scale with the corpus: the batches of
both passes (`Executor.map`), the template support counted over every page
(`Executor.counted_templates`) and the search for copies across every page
(`Executor.clustered`). `pipeline.run` asks the executor for them and never
asks which executor it has. `local_pool.LocalExecutor` runs batches in worker
processes and counts and searches in this process;
`dask_cluster.DaskExecutor` does all three on the cluster, the driver holding
neither the template rows nor the signatures.
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from pipeline.core.config import Config
from pipeline.dedup.clusters import Clustering, Earlier, Texts
from pipeline.learn.support import TemplateCounts

__all__ = ["Executor"]


class Executor(abc.ABC):
    """Runs a run's batches and its corpus-wide steps; a context manager that stops what it started."""

    #: Whether the batches run in other processes that may be on other machines: they then get absolute
    #: paths, stage their template rows for the cluster to count, and the earlier signatures stay on disk.
    distributed: bool = False

    @abc.abstractmethod
    def map(
        self, function: Callable[..., dict[str, Any]], jobs: Sequence[tuple], config: Config
    ) -> Iterator[dict[str, Any]]:
        """``function(*job)`` for every job; yield each result as it finishes (in any order)."""

    @abc.abstractmethod
    def counted_templates(
        self,
        counts: TemplateCounts,
        template_rows: Sequence[Path],
        earlier_edges: Sequence[Path],
        changed: Sequence[str],
        expected_rows: int,
        min_pages: int,
    ) -> Any:
        """The template support of every page: this run's (``counts``, or the rows the batches staged) and
        the earlier pages' edges (less the ``changed`` files'), as `TemplateCounts.counted` gives it."""

    @abc.abstractmethod
    def clustered(
        self,
        staged_signatures: Sequence[Path],
        earlier_signatures: Sequence[Path],
        config: Config,
        earlier: Earlier | None,
        texts: Texts,
    ) -> Clustering:
        """Every new document kept or a copy of which one (`pipeline.dedup.search.cluster`)."""

    def start(self, config: Config) -> None:
        """Start what the batches will run on, before the run plans (a local pool forks while the driver is small)."""

    def close(self) -> None:
        """Stop what the executor started (worker processes); a cluster it was given stays."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
