"""The flow's batches on a Dask cluster as Prefect tasks, through prefect-dask's DaskTaskRunner.

With a ``cluster`` address the flow runs each batch of each pass as a task
(``read-batch``, ``clean-batch``) on the cluster: Prefect records each one,
retries one that raises, and shows them in the run's graph. What the batches
share is small (the learned templates are hashes only) and the pattern
tables are compiled once per process. The dedup step runs on the
same cluster through a plain Dask client (`pipeline.dedup.shuffle_dedup`).

Without Prefect (``docclean run --cluster`` in-process) the batches go
through `pipeline.executors.dask_cluster.DaskExecutor` instead: same work, not tracked.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from pipeline.chain import clean_staged_batch, read_batch_pages
from pipeline.core.config import Config
from pipeline.executors.dask_cluster import DaskExecutor

# A batch that raises is tried once more; a worker that dies is Dask's to rerun.
BATCH_OPTIONS: dict[str, Any] = {
    "cache_policy": NO_CACHE,
    "retries": 1,
    "retry_delay_seconds": 1,
    "persist_result": False,
}


class Batch:
    """A batch's arguments, opaque to Prefect: it must not walk a thousand paths and the config looking for futures."""

    __slots__ = ("args",)

    def __init__(self, args: tuple) -> None:
        self.args = args

    def __repr__(self) -> str:
        return f"Batch({self.args[0]})"


@task(name="read-batch", **BATCH_OPTIONS)
def read_batch(batch: Batch) -> dict[str, Any]:
    return read_batch_pages(*batch.args)


@task(name="clean-batch", **BATCH_OPTIONS)
def clean_batch(batch: Batch) -> dict[str, Any]:
    return clean_staged_batch(*batch.args)


BATCH_TASKS = {read_batch_pages: read_batch, clean_staged_batch: clean_batch}


class PrefectDaskExecutor(DaskExecutor):
    """The Dask executor with each batch a Prefect task submitted to a started DaskTaskRunner.

    ``client`` (a `distributed.Client` of the same cluster) sizes the in-flight
    window and runs template support and the dedup step.
    """

    def __init__(self, runner: Any, client: Any) -> None:
        super().__init__(client)
        self.runner = runner

    def map(
        self, function: Callable[..., dict[str, Any]], jobs: Sequence[tuple], config: Config
    ) -> Iterator[dict[str, Any]]:
        from distributed import as_completed

        batch_task = BATCH_TASKS[function]
        queue = iter(jobs)
        # Two tasks per worker thread in flight: a million files do not become a million tasks up front.
        slots = 2 * max(1, sum(self.client.nthreads().values()))
        submitted: dict[str, Any] = {}

        def submit() -> Any:
            job = next(queue, None)
            if job is None:
                return None
            future = self.runner.submit(batch_task, parameters={"batch": Batch(job)})
            submitted[future.wrapped_future.key] = future
            return future.wrapped_future

        running = as_completed(
            [f for f in (submit() for _ in range(slots)) if f is not None], loop=self.runner.client.loop
        )
        for done in running:
            yield submitted.pop(done.key).result()
            following = submit()
            if following is not None:
                running.add(following)
