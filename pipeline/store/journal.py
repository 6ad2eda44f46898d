"""All-or-nothing commits of the output folder: the journal, and the recovery of a run cut short.

A run writes everything it changes to hidden temporary files first (see
`pipeline.store.layout`). Then one ``os.replace`` of ``.journal.json``
commits: the journal lists the renames and deletions that turn the old state
into the new one, and whoever takes the lock next (the same run, or the next
one after a crash) finishes them. Readers list parts as the journal will
leave them (`pipeline.store.layout.parts`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Sequence

from pipeline.store.layout import (
    JOURNAL_NAME,
    LEDGER,
    RUNS,
    STAGING_PREFIX,
    TABLES,
    TEMP_SUFFIX,
    TEMPLATES,
    OutputError,
    write_text_temp,
)

__all__ = ["commit", "discard_staging", "finish_pending", "pending", "recover", "remove_unfinished"]


def _inside(out_dir: Path, relative: str) -> Path:
    path = (out_dir / relative).resolve()
    if not path.is_relative_to(out_dir.resolve()):
        raise OutputError(f"journal entry {relative!r} points outside {out_dir}; refusing to apply it")
    return out_dir / relative


def commit(out_dir: Path, replace: Sequence[tuple[Path, Path]], delete: Sequence[Path] = ()) -> None:
    """Atomically move every (temp -> final) into place and delete ``delete``.

    Temps must be complete and synced. The journal is the commit point.
    """

    def rel(path: Path) -> str:
        return path.relative_to(out_dir).as_posix()

    journal = {"replace": [[rel(t), rel(f)] for t, f in replace], "delete": [rel(d) for d in delete]}
    temp = write_text_temp(out_dir / JOURNAL_NAME, json.dumps(journal, ensure_ascii=False))
    os.replace(temp, out_dir / JOURNAL_NAME)
    _fsync_dir(out_dir)
    _apply_journal(out_dir)


def pending(out_dir: Path) -> bool:
    """A commit was decided but not fully applied (a crash, or an I/O error)."""
    return (out_dir / JOURNAL_NAME).exists()


def finish_pending(out_dir: Path) -> None:
    """Apply a decided commit; safe to repeat."""
    _apply_journal(out_dir)


def _apply_journal(out_dir: Path) -> None:
    journal_path = out_dir / JOURNAL_NAME
    journal = json.loads(journal_path.read_text(encoding="utf-8"))
    folders = {out_dir}
    for temp, final in journal["replace"]:
        temp_file, final_file = _inside(out_dir, temp), _inside(out_dir, final)
        if temp_file.exists():
            final_file.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_file, final_file)
            folders.add(final_file.parent)
    for gone in journal["delete"]:
        _inside(out_dir, gone).unlink(missing_ok=True)
    for folder in folders:
        _fsync_dir(folder)
    journal_path.unlink()
    _fsync_dir(out_dir)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard_staging(path: Path) -> None:
    """Remove a run's staging folder (the run failed before its commit, or is done with it)."""
    shutil.rmtree(path, ignore_errors=True)


def recover(out_dir: Path) -> list[str]:
    """Finish a committed run that was cut short; clear what an uncommitted one left.

    Call with the lock held. Returns what was done, for the log.
    """
    done = []
    if pending(out_dir):
        _apply_journal(out_dir)
        done.append("finished the commit of an interrupted run")
    removed = remove_unfinished(out_dir, staging=True)
    if removed:
        done.append(f"removed {removed} unfinished files of an interrupted run")
    return done


def remove_unfinished(out_dir: Path, staging: bool = False) -> int:
    """Remove the hidden temp files a run that did not commit left (and its staging folders with ``staging``); how many.

    A run that fails before its commit calls it on the way out: a full disk
    must not stay full of a failed run's half-written parts until the next
    run. Nothing is removed while a commit is pending: its journal names
    temp files that become the output.
    """
    if pending(out_dir):
        return 0
    leftovers = list(out_dir.glob(STAGING_PREFIX + "*")) if staging else []
    for folder in (out_dir, *(out_dir / t for t in (*TABLES, LEDGER, TEMPLATES, RUNS))):
        leftovers += folder.glob(f".*{TEMP_SUFFIX}")
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    return len(leftovers)
