"""The stage contract: what a stage is, how a batch goes through stages, and the one timer and counter of them all.

A stage is a name and a function of a `Batch` and the config. Most stages
work on the batch's records (`records`: a function of a list of `Document`
and the config that returns the list, same length, same order: a stage
never drops a record, it marks it rejected); the first (``read``: files to
decoded records) and the last (``sign``: records to signatures) fill the
batch's other fields. The list of stages, in order, is `pipeline.chain.STAGES`.

`StageStats` is the one place time and counts are taken, in the spirit of
datatrove's ``track_time`` / ``stat_update``: every stage and every step of a
run is timed by ``with stats.timed(name)``, and the records each stage saw
and rejected are counted by `run_stages`. Workers return their stats with
their batch's counts; the run adds them up (`StageStats.merge`).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from pipeline.core.config import Config
from pipeline.core.document import REJECT_PROCESSING_ERROR, Document

__all__ = ["Batch", "RecordStage", "Stage", "StageStats", "isolated", "records", "run_stages"]

RecordStage = Callable[[Sequence[Document], Config], list[Document]]


@dataclass
class Batch:
    """One batch of work as it goes through the stages: its files, then its records, then their signatures."""

    paths: list = field(default_factory=list)
    raw_dir: Any = None  # the folder the paths are read under (a `Path`)
    names_from: Any = None  # the folder source paths are named relative to, when not ``raw_dir``
    docs: list[Document] = field(default_factory=list)
    prints: list = field(default_factory=list)  # the fingerprint of each file as it was read (the ledger's rows)
    known: dict[str, int] = field(default_factory=dict)  # template hash of each line the reading pass templated
    learned: Any = None  # the boilerplate templates learning found (`pipeline.learn.learned.Learned`), for extract
    signatures: Any = None  # the Arrow table of the sign stage


@dataclass(frozen=True)
class Stage:
    """One stage: its name (the key of the per-stage table), what it does to a batch, and where it lives."""

    name: str
    apply: Callable[[Batch, Config], None]
    module: str  # where a reader finds it, e.g. "pipeline.clean.encoding"
    on_records: bool = True  # counted by records in and rejected (the first and last stages are not)


def records(stage: RecordStage, name: str) -> Callable[[Batch, Config], None]:
    """A stage of records as a stage of batches, each record that makes it raise rejected alone (`isolated`)."""

    def apply(batch: Batch, config: Config) -> None:
        batch.docs = isolated(name, stage, batch.docs, config)

    apply.__name__ = getattr(stage, "__name__", name)
    return apply


def isolated(name: str, stage: RecordStage, docs: Sequence[Document], config: Config) -> list[Document]:
    """Run a stage of records; if it raises, find the records that make it raise.

    One bad record must not sink its batch (or the run): the batch is retried
    record by record and each record that still fails is rejected with the error.

    >>> def picky(docs, config):
    ...     if any(d.text == "bad" for d in docs):
    ...         raise ValueError("cannot")
    ...     return list(docs)
    >>> [d.reject for d in isolated("picky", picky, [Document("a", "a.txt", text="ok"), Document("b", "b.txt", text="bad")], Config())]
    [None, 'processing_error']
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


def run_stages(stages: Sequence[Stage], batch: Batch, config: Config, stats: StageStats) -> Batch:
    """Every stage in order over ``batch``, each timed, and counted by the records it saw and rejected."""
    for stage in stages:
        before = sum(doc.rejected for doc in batch.docs) if stage.on_records else 0
        with stats.timed(stage.name, time.process_time):
            stage.apply(batch, config)
        if stage.on_records:
            stats.count(stage.name, "records", len(batch.docs))
            stats.count(stage.name, "rejected", sum(doc.rejected for doc in batch.docs) - before)
    return batch


class StageStats:
    """Seconds and counts by stage (or step), summed over batches and workers.

    >>> stats = StageStats()
    >>> with stats.timed("repair"):
    ...     pass
    >>> stats.count("repair", "records", 3)
    >>> other = StageStats()
    >>> other.count("repair", "records", 2)
    >>> stats.merge(other.as_dict())
    >>> stats.counts, sorted(stats.seconds)
    ({'repair': {'records': 5}}, ['repair'])
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.counts: dict[str, dict[str, int]] = {}

    @contextlib.contextmanager
    def timed(self, name: str, clock: Callable[[], float] = time.perf_counter) -> Iterator[None]:
        """Add the time the block takes to ``name``: wall time, or CPU time with ``clock=time.process_time``.

        The stages of a batch are timed in CPU seconds: beside the driver and
        other workers on as many cores, a worker's wall time also counts the
        time it waited for a core (at a million pages, 10-50% more).
        """
        begun = clock()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + clock() - begun

    def count(self, name: str, key: str, amount: int = 1) -> None:
        counts = self.counts.setdefault(name, {})
        counts[key] = counts.get(key, 0) + amount

    def as_dict(self) -> dict[str, Any]:
        """What travels back from a worker (plain values)."""
        return {"seconds": dict(self.seconds), "counts": {name: dict(c) for name, c in self.counts.items()}}

    def merge(self, other: dict[str, Any]) -> None:
        for name, spent in other.get("seconds", {}).items():
            self.seconds[name] = self.seconds.get(name, 0.0) + spent
        for name, counts in other.get("counts", {}).items():
            for key, amount in counts.items():
                self.count(name, key, amount)
