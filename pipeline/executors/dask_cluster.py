"""The executor of a Dask cluster: what ``--cluster tcp://HOST:8786`` runs a run's work on.

The same two passes as the local executor (reading, then cleaning), each
batch one Dask task, so every core of every worker of the cluster works, and
a task whose worker dies is run again on another one. What every task shares
(the config, the learned templates) is sent to each worker once, not once per
task; each worker compiles the pattern tables once (`patterns.load_patterns`
is cached per process).

The workers read the raw folder and write the output's staging folder by
path, so both must be reachable under the same absolute paths on every
worker: one machine, or a shared filesystem. Template support and the
search for copies run on the cluster too (`pipeline.learn.shuffle_support`,
`pipeline.dedup.shuffle_dedup`): the driver holds neither the template rows
nor the signatures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from pipeline.core.config import Config
from pipeline.dedup.clusters import Clustering, Earlier, Texts
from pipeline.executors.base import Executor
from pipeline.learn.support import TemplateCounts
from pipeline.store.layout import OutputError

# A scheduler that does not answer in this long is reported, not waited for.
CONNECT_SECONDS = 5
# A batch that raises is tried this many more times (a worker that dies is
# Dask's business: it reruns the batch elsewhere, `distributed.scheduler.allowed-failures`).
TASK_RETRIES = 1


def connect(address: str, timeout: float = CONNECT_SECONDS):
    """A client of the Dask scheduler at ``address``, or `OutputError` (exit 2) saying how to fix it."""
    try:
        from distributed import Client
    except ImportError:
        raise OutputError("--cluster needs dask's distributed package: pip install 'dask[distributed]'") from None
    _check_address(address)
    _check_tls(address)
    try:
        client = Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise OutputError(
            f"no Dask scheduler answers at {address!r} ({type(error).__name__}: {error}); start one "
            "(dask scheduler --host 127.0.0.1, then dask worker tcp://127.0.0.1:8786) or leave --cluster "
            "out to clean on this machine"
        ) from None
    if not client.scheduler_info().get("workers"):
        client.close()
        raise OutputError(f"the Dask scheduler at {address!r} has no workers; start some: dask worker {address}")
    return client


def _check_address(address: str) -> None:
    # A Client half-built from an address Dask cannot read blocks for seconds
    # when it is collected: such an address is refused before one is made.
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(address)
        get_backend(scheme)
        if scheme == "inproc":
            raise ValueError("inproc:// addresses live inside one process")
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except (ValueError, TypeError) as error:
        raise OutputError(
            f"{address!r} is not a Dask scheduler address Dask can use ({error}); write it as tcp://HOST:8786"
        ) from None


# The Dask settings (environment: DASK_DISTRIBUTED__COMM__TLS__...) a client needs to reach a tls:// scheduler.
TLS_SETTINGS = (
    ("distributed.comm.tls.ca-file", "DASK_DISTRIBUTED__COMM__TLS__CA_FILE"),
    ("distributed.comm.tls.client.cert", "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT"),
)


def _check_tls(address: str) -> None:
    # Without its certificate a client of a tls:// scheduler failed with "no
    # Dask scheduler answers" and a traceback at exit: the scheduler answered.
    if not address.startswith(("tls://", "wss://")):
        return
    import dask

    missing = [variable for key, variable in TLS_SETTINGS if not dask.config.get(key, None)]
    if missing:
        raise OutputError(
            f"{address!r} is a scheduler behind TLS: docclean needs the CA and a client certificate to reach it; set "
            + ", ".join(missing)
            + " (and DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY when the key is a file of its own)"
        )


def _shared(jobs: Sequence[tuple]) -> list[Any]:
    """The arguments every job passes as the very same object (config, templates): sent once per worker."""
    if not jobs:
        return []
    plain = (str, int, float, bool, bytes, type(None))
    return [
        arg for arg in jobs[0] if not isinstance(arg, plain) and all(any(a is arg for a in job) for job in jobs[1:])
    ]


class DaskExecutor(Executor):
    """`Executor` on ``client``'s cluster: each job a task, template support and dedup shuffled on the workers.

    The client is the caller's: `close` leaves it open.
    """

    distributed = True

    def __init__(self, client: Any) -> None:
        self.client = client

    def map(
        self, function: Callable[..., dict[str, Any]], jobs: Sequence[tuple], config: Config
    ) -> Iterator[dict[str, Any]]:
        from distributed import as_completed

        client = self.client
        sent = {id(arg): client.scatter(arg, broadcast=True, hash=False) for arg in _shared(jobs)}
        queue = iter([tuple(sent.get(id(arg), arg) for arg in job) for job in jobs])
        # At most two tasks per worker thread are queued: a million files do not become a million tasks up front.
        slots = 2 * max(1, sum(client.nthreads().values()))

        def submit() -> Any:
            job = next(queue, None)
            return None if job is None else client.submit(function, *job, pure=False, retries=TASK_RETRIES)

        running = as_completed([f for f in (submit() for _ in range(slots)) if f is not None], loop=client.loop)
        for future in running:
            yield future.result()
            following = submit()
            if following is not None:
                running.add(following)

    def counted_templates(
        self,
        counts: TemplateCounts,
        template_rows: Sequence[Path],
        earlier_edges: Sequence[Path],
        changed: Sequence[str],
        expected_rows: int,
        min_pages: int,
    ) -> Any:
        from pipeline.learn import shuffle_support

        return shuffle_support.counted(self.client, template_rows, earlier_edges, changed, expected_rows, min_pages)

    def clustered(
        self,
        staged_signatures: Sequence[Path],
        earlier_signatures: Sequence[Path],
        config: Config,
        earlier: Earlier | None,
        texts: Texts,
    ) -> Clustering:
        from pipeline.dedup import shuffle_dedup

        return shuffle_dedup.cluster(self.client, earlier_signatures, staged_signatures, config, earlier, texts)
