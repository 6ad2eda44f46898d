"""Batches of files cleaned in worker processes, so that every core works.

The cleaning stages are CPU-bound Python: threads would share one core. Each
batch goes to a worker process whole (`chain.read_batch_pages`, then
`chain.clean_staged_batch`), and only its counts come back; documents never
cross a process boundary. Workers are started by a fork server, so they do
not inherit the caller's threads (an orchestrator's API client, say).
"""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterator, Sequence

from pipeline.config import Config


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


def map_batches(function: Callable[..., dict[str, Any]], jobs: Sequence[tuple], config: Config) -> Iterator[dict[str, Any]]:
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
    context = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has the stages imported already: each of
    # the run's two passes starts its workers afresh, and importing the stages
    # (numpy, pyarrow, the pattern tables) in every worker cost a second a pass.
    context.set_forkserver_preload(["pipeline.chain"])
    with ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent) as pool:
        queue = iter(jobs)

        def submit(count: int) -> set:
            return {pool.submit(function, *job) for job in itertools.islice(queue, count)}

        pending = submit(2 * workers)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
                pending |= submit(1)
