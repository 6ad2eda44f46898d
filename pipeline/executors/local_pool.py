"""The executor of one machine: batches in worker processes, so that every core works; the corpus-wide steps here.

The cleaning stages are CPU-bound Python: threads would share one core. Each
batch goes to a worker process whole (`chain.read_batch_pages`, then
`chain.clean_staged_batch`), and only its counts come back; documents never
cross a process boundary. A caller that runs no other thread (the command
line) forks its workers directly: they start at once, with the stages
imported. Otherwise they come from a fork server, so that they do not
inherit the caller's threads (an orchestrator's API client, a lease
renewer) and the locks those may hold.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pyarrow as pa

from pipeline.core.config import Config
from pipeline.dedup import search
from pipeline.dedup.clusters import Clustering, Earlier, Texts
from pipeline.dedup.index import read_edges
from pipeline.executors.base import Executor
from pipeline.learn.support import TemplateCounts


def worker_count(config: Config) -> int:
    """``config.workers``, or one per CPU this process may use when it is 0."""
    if config.workers:
        return config.workers
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def die_with_parent() -> None:
    """Worker initializer: end this worker as soon as the process that started the pool dies.

    A SIGKILLed run must not leave workers that go on writing staging files
    (nor, through them, the fork server and resource tracker, which live as
    long as a worker holds their pipes). The worker watches the pipe its
    parent holds open for it (``parent_process().sentinel``): the kernel
    closes it when the parent dies, whatever killed it.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="docclean-parent-watch", daemon=True).start()


# A worker allocates millions of small tuples and lists that never form
# cycles (documents, removals, lines): with Python's default threshold of 700
# allocations the cycle collector ran every few lines and took 8% of the CPU.
WORKER_GC_THRESHOLD = 50_000


def start_worker() -> None:
    """Worker initializer: die with the parent (`die_with_parent`), and collect cycles less often.

    What the worker inherited from the fork server (modules, pattern tables)
    is frozen out of the collector's walks.
    """
    die_with_parent()
    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])


class WorkerPool:
    """Worker processes kept for a whole run: a mapper (``pool(function, jobs, config)``) and a context manager.

    Both passes of a run use the same workers. Started afresh for each pass,
    every worker paid its start-up again (importing datasketch, compiling the
    vocabulary, filling the per-line memos): a tenth of the run's CPU at ten
    thousand pages. The processes start with the first pass that needs more
    than one, and stop when the run ends.
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._workers = 0

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __call__(
        self, function: Callable[..., dict[str, Any]], jobs: Sequence[tuple], config: Config
    ) -> Iterator[dict[str, Any]]:
        """``function(*job)`` for every job, in worker processes; yield each result as it finishes (any order).

        With one worker everything runs in this process, which is what tests and
        debuggers want. At most two jobs per worker are in flight, so a run of a
        million files does not queue a million tasks up front.
        """
        workers = min(worker_count(config), max(1, len(jobs)))
        if workers == 1:
            for job in jobs:
                yield function(*job)
            return
        pool = self._started(worker_count(config))
        queue = iter(jobs)

        def submit(count: int) -> set:
            return {pool.submit(function, *job) for job in itertools.islice(queue, count)}

        pending = submit(2 * workers)
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
                    pending |= submit(1)
        finally:
            for future in pending:  # a pass given up (an error, a consumer gone): its queued jobs go too
                future.cancel()

    def start(self, workers: int) -> None:
        """Fork the worker processes now, when this process is about to grow (before a run plans).

        A forked worker shares every page its parent held at the fork; the
        plan of a million files (120 MiB) made before it would be counted in
        each worker's resident size and in none of its work. Only forked
        workers start early: a fork server's owe their parent nothing.

        pyarrow makes an array first: on its first array in a process it
        settles whether pandas is there, and imports it if so (0.25 s, 50
        MiB). This process would do so right after, in planning; forked
        after it, the workers share what it settled.
        """
        if workers > 1 and start_method() == "fork":
            pa.array([], pa.int8())
            pool = self._started(workers)
            for future in [pool.submit(os.getpid) for _ in range(workers)]:
                future.result()

    def _started(self, workers: int) -> ProcessPoolExecutor:
        if self._pool is None or self._workers != workers:
            self.close()
            context = multiprocessing.get_context(start_method())
            if context.get_start_method() == "forkserver":
                # Workers fork from a server that has the stages imported already.
                context.set_forkserver_preload(["pipeline.chain"])
            self._pool = ProcessPoolExecutor(workers, mp_context=context, initializer=start_worker)
            self._workers = workers
        return self._pool


def start_method() -> str:
    """``fork`` when this process runs no thread but the main one (on Linux), else ``forkserver``.

    A fork copies one thread only: any lock another thread held stays held in
    the child forever. With no other thread there is none, and a forked
    worker skips the fork server's start (importing the stages: 0.4 s before
    the first batch could begin, and pandas, which Arrow imports, in each
    worker again).
    """
    alone = threading.active_count() == 1 and threading.current_thread() is threading.main_thread()
    return "fork" if alone and sys.platform.startswith("linux") else "forkserver"


class LocalExecutor(Executor):
    """`Executor` of one machine: the batches in a `WorkerPool`, template support and dedup in this process."""

    def __init__(self) -> None:
        self.pool = WorkerPool()

    def map(
        self, function: Callable[..., dict[str, Any]], jobs: Sequence[tuple], config: Config
    ) -> Iterator[dict[str, Any]]:
        return self.pool(function, jobs, config)

    def counted_templates(
        self,
        counts: TemplateCounts,
        template_rows: Sequence[Path],
        earlier_edges: Sequence[Path],
        changed: Sequence[str],
        expected_rows: int,
        min_pages: int,
    ) -> Any:
        counts.add_rows(read_edges(earlier_edges, changed))
        return counts.counted(min_pages)

    def clustered(
        self,
        staged_signatures: Sequence[Path],
        earlier_signatures: Sequence[Path],
        config: Config,
        earlier: Earlier | None,
        texts: Texts,
    ) -> Clustering:
        signatures, minhashes = search.staged_signatures(staged_signatures, config.dedup.minhash)
        return search.cluster(signatures, config, earlier, texts, minhashes)

    def start(self, config: Config) -> None:
        self.pool.start(worker_count(config))

    def close(self) -> None:
        self.pool.close()


def map_batches(
    function: Callable[..., dict[str, Any]], jobs: Sequence[tuple], config: Config
) -> Iterator[dict[str, Any]]:
    """``function(*job)`` for every job, in worker processes started for this one pass (see `WorkerPool`)."""
    with WorkerPool() as pool:
        yield from pool(function, jobs, config)
