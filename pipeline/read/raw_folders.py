"""The raw folders an output is built from, and the checks that come before a run may read them.

An output belongs to its raw folder (or folders, with ``--add-raw``): every
source path is named relative to the first one, and a run over another
folder is refused before anything is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline import store
from pipeline.core.config import Config
from pipeline.store.layout import OutputError
from pipeline.store.objects import is_url

__all__ = ["admitted", "placed", "raw_roots"]


def raw_roots(raw: Path | str, before: dict[str, Any] | None, full: bool, add_raw: bool) -> list[str]:
    """The raw folders an output is built from, the first one naming every source path.

    An output belongs to its raw folder: a run over another folder (not
    inside one of them) is refused, since ``feedB/0101.txt`` would be taken
    for a change of ``feedA/0101.txt``. ``add_raw`` adds the folder (its
    files are then named relative to the first one: ``../feedB/0101.txt``);
    a full rebuild starts over from this folder alone.

    >>> raw_roots(Path("/d/a"), {"raw_roots": ["/d/a"]}, False, False), raw_roots(Path("/d/a/2020"), {"raw_roots": ["/d/a"]}, False, False)
    (['/d/a'], ['/d/a'])
    >>> raw_roots(Path("/d/b"), {"raw_roots": ["/d/a"]}, False, True)
    ['/d/a', '/d/b']

    A URL is its own root and the only one: its objects are named by their
    keys under it, and its local copy lives in a cache folder.
    """
    here = raw.rstrip("/") if is_url(raw) else str(Path(raw).resolve())
    roots = list((before or {}).get("raw_roots") or [])
    if full or not roots or roots == [here]:
        return [here]
    urls = is_url(here) or any(is_url(root) for root in roots)
    if not urls and any(Path(here) == Path(root) or Path(here).is_relative_to(root) for root in roots):
        return roots
    if add_raw and not urls:
        return roots + [here]
    raise OutputError(
        f"the output was built from the raw folder {roots[0]!r}; this run reads {here!r}. Two raw folders "
        "in one output would mix up files of the same name. Pass --add-raw to add this folder to the output "
        "(its files are then named relative to the first one), --full to rebuild the output from this folder "
        "alone, or write to another --out" + (" (--add-raw works with local folders only)" if urls else "")
    )


def placed(raw: str | Path, out: str | Path) -> tuple[Path, Path]:
    """The raw and output folders as paths, once they are known to be usable (a missing raw folder, overlapping folders are refused).

    The raw folder is the folder itself, its links resolved: files are named
    relative to it, so a folder given through a link and by its real path is
    one folder with one set of names.
    """
    raw, out = Path(raw), Path(out)
    store.check_folders(raw, out)
    return raw.resolve(), out


def admitted(raw: Path, out: Path, config: Config, full: bool, add_raw: bool, raw_name: str | None = None) -> list[str]:
    """The output's raw folders once this run may add to it: same settings (unless ``full``), a raw folder it knows.

    ``raw_name``: the raw URL, when ``raw`` is its local copy.
    """
    if not full:
        store.check_compatible(out, config)
    return raw_roots(raw_name if raw_name and is_url(raw_name) else raw, store.read_summary(out), full, add_raw)
