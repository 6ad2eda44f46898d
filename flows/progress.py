"""Progress of a run for the person watching it: a live bar on a terminal, plain lines elsewhere.

A run makes two passes over its batches (reading, then cleaning); after every
batch `pipeline.run` calls the progress function with the totals so far.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, TextIO

# Plain lines (a log file, CI) come at most this often, and at the end of each pass.
LINE_EVERY_SECONDS = 10.0
PASSES = {"read": "reading", "clean": "cleaning"}


def rate_and_eta(totals: dict[str, Any]) -> tuple[float, float | None]:
    """Records per second in this pass (read, or cleaned), and seconds left in it (None before the first batch).

    >>> rate_and_eta({"step": "read", "records": 500, "elapsed": 2.0, "batches": 4, "batches_done": 1, "pass_elapsed": 2.0})
    (250.0, 6.0)
    """
    spent = totals.get("pass_elapsed", totals["elapsed"])
    done_records = totals["cleaned"] + totals["rejected"] if totals["step"] == "clean" else totals["records"]
    rate = done_records / spent if spent > 0 else 0.0
    done, total = totals["batches_done"], totals["batches"]
    eta = spent / done * (total - done) if done else None
    return rate, eta


def describe(totals: dict[str, Any]) -> str:
    """One plain line about where the run is.

    >>> describe({"step": "clean", "records": 900, "cleaned": 880, "rejected": 20, "batches": 4, "batches_done": 2,
    ...           "files_done": 900, "files_total": 1800, "elapsed": 3.0, "pass_elapsed": 1.0})
    'cleaning: batch 2/4, 900/1,800 files, 900 records (880 cleaned, 20 rejected), 900 records/s, ETA 1 s'
    """
    rate, eta = rate_and_eta(totals)
    left = "" if eta is None else f", ETA {eta:,.0f} s"
    done = f" ({totals['cleaned']:,} cleaned, {totals['rejected']:,} rejected)" if totals["step"] == "clean" else ""
    return (
        f"{PASSES.get(totals['step'], totals['step'])}: batch {totals['batches_done']}/{totals['batches']}, "
        f"{totals['files_done']:,}/{totals['files_total']:,} files, {totals['records']:,} records{done}, "
        f"{rate:,.0f} records/s{left}"
    )


class PlainLines:
    """Progress as a line now and then (`LINE_EVERY_SECONDS`) and at the end of each pass."""

    def __init__(self, stream: TextIO = sys.stderr, every: float = LINE_EVERY_SECONDS) -> None:
        self.stream, self.every, self.last = stream, every, time.monotonic()

    def __call__(self, totals: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self.last >= self.every or totals["batches_done"] == totals["batches"]:
            self.last = now
            print(f"docclean: {describe(totals)}", file=self.stream, flush=True)

    def close(self) -> None:
        pass


class LiveBar:
    """A rich progress bar per pass: batches, files, records, records/s and time left."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} batches"),
            TextColumn("{task.fields[files]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self.tasks: dict[str, Any] = {}
        self.bar.start()

    def __call__(self, totals: dict[str, Any]) -> None:
        step = totals["step"]
        if step not in self.tasks:
            self.tasks[step] = self.bar.add_task(PASSES.get(step, step), total=totals["batches"], files="", rate="")
        rate, _ = rate_and_eta(totals)
        self.bar.update(
            self.tasks[step],
            completed=totals["batches_done"],
            files=f"{totals['files_done']:,}/{totals['files_total']:,} files, {totals['records']:,} records",
            rate=f"{rate:,.0f} rec/s",
        )

    def close(self) -> None:
        self.bar.stop()


def for_stream(stream: TextIO = sys.stderr) -> Callable[[dict[str, Any]], None]:
    """A live bar when ``stream`` is a terminal, plain lines otherwise."""
    return LiveBar(stream) if stream.isatty() else PlainLines(stream)


def say(message: str) -> None:
    print(f"docclean: {message}", file=sys.stderr, flush=True)
