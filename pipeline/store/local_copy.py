"""Local copies of object storage: the cache folder of a URL, the raw pages mirrored there, downloads that say how far they are.

The stages read local files (``os.read`` with its limits), so a raw URL is
copied into ``$DOCCLEAN_CACHE/raw/<hash of URL>/`` first, only the objects
new or changed since the last run (size and ETag); `pipeline.store.remote`
keeps the output's working copy beside it, in ``$DOCCLEAN_CACHE/out/``.
"""

from __future__ import annotations

import datetime
import json
import os
import time
from pathlib import Path
from typing import Any, Callable

import xxhash

from pipeline.store.layout import OutputError
from pipeline.store.objects import check_reachable, describe_failure, filesystem

CACHE_ENV = "DOCCLEAN_CACHE"
SYNCED_NAME = "synced.json"


def cache_folder(kind: str, url: str) -> Path:
    """Where the local copy of ``url`` lives; the same URL always maps to the same folder."""
    root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "docclean")
    return root / kind / xxhash.xxh3_64_hexdigest(url.rstrip("/").encode("utf-8"))


def load_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_json(path: Path, data: dict[str, Any]) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(temp, path)


def safe_key(relative: str) -> bool:
    """Whether an object key (relative to the raw URL) can be a file name under the copy.

    >>> safe_key("2020/01/page.txt"), safe_key("a/../../etc/passwd"), safe_key("a//b"), safe_key("dir/")
    (True, False, False, False)
    """
    parts = relative.split("/")
    return bool(relative) and all(part not in ("", ".", "..") for part in parts)


def _modified(info: dict[str, Any]) -> float | None:
    stamp = info.get("LastModified") or info.get("mtime") or info.get("updated")
    if isinstance(stamp, datetime.datetime):
        return stamp.timestamp()
    return float(stamp) if isinstance(stamp, (int, float)) else None


def sync_raw(url: str, notes: list[str], tell: Callable[[str], None] | None = None) -> Path:
    """Bring the local copy of a raw URL up to date; return its folder (OutputError: the URL cannot be read).

    ``tell`` hears how far listing and downloading have come: at 100,000
    objects they take minutes before the first page is read.
    """
    fs, root = filesystem(url)
    check_reachable(url, fs, root)
    folder = cache_folder("raw", url)
    copy = folder / "copy"
    copy.mkdir(parents=True, exist_ok=True)
    if tell is not None:
        tell(f"listing {url}")
    try:
        listing = fs.find(root, detail=True)
    except Exception as error:  # noqa: BLE001 - a listing that fails means the URL cannot be read
        raise OutputError(describe_failure(url, error)) from None
    objects: dict[str, dict[str, Any]] = {}
    unsafe = []
    for key in sorted(listing):
        info = listing[key]
        if info.get("type") == "directory":
            continue
        relative = key[len(root) :].lstrip("/") if key.startswith(root) else ""
        (objects.__setitem__(relative, info) if safe_key(relative) else unsafe.append(key))
    if unsafe:
        notes.append(
            f"{len(unsafe)} objects under {url} have keys that are no file name (empty, '.' or '..' "
            f"segments) and were not read, e.g. {unsafe[0]!r}"
        )
    if not objects:
        raise OutputError(f"{url} holds no objects; give the URL of the prefix the pages are under (--raw)")
    record_path = folder / SYNCED_NAME
    record = load_json(record_path).get("files", {})

    def version(info: dict[str, Any]) -> list[Any]:
        return [info.get("size"), str(info.get("ETag") or info.get("etag") or info.get("md5Hash") or _modified(info))]

    wanted = {rel: version(info) for rel, info in objects.items()}
    stale = [rel for rel in objects if record.get(rel) != wanted[rel] or not (copy / rel).is_file()]
    for rel in stale:
        record.pop(rel, None)
    save_json(record_path, {"url": url, "files": record})  # a download cut short is fetched again next time
    if stale:
        for rel in stale:
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        download(fs, url, [(f"{root}/{rel}", copy / rel, objects[rel].get("size") or 0) for rel in stale], tell)
        for rel in stale:
            when = _modified(objects[rel])
            if when is not None:
                # Stable across machines and fresh caches: the ledger's quick check compares mtimes.
                os.utime(copy / rel, (when, when))
            record[rel] = wanted[rel]
    for path in sorted(copy.rglob("*"), reverse=True):
        rel = path.relative_to(copy).as_posix()
        if path.is_file() and rel not in objects:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    save_json(record_path, {"url": url, "files": record})
    return copy


# Objects fetched per call: fsspec fetches a call's objects concurrently, and a line of progress comes between calls.
DOWNLOAD_CHUNK = 256
PROGRESS_SECONDS = 2.0


def download(fs, url: str, jobs: list[tuple[str, Path, int]], tell: Callable[[str], None] | None) -> None:
    """Fetch (key, local path, size) jobs, telling how far it has come every ``PROGRESS_SECONDS`` and at the end."""
    total_bytes = sum(size for _, _, size in jobs)
    done = done_bytes = 0
    told = time.monotonic()
    if tell is not None:
        tell(f"downloading {len(jobs):,} new or changed objects from {url} ({total_bytes / 1e6:,.1f} MB)")
    for start in range(0, len(jobs), DOWNLOAD_CHUNK):
        chunk = jobs[start : start + DOWNLOAD_CHUNK]
        try:
            fs.get([key for key, _, _ in chunk], [str(path) for _, path, _ in chunk])
        except Exception as error:  # noqa: BLE001
            raise OutputError(describe_failure(url, error)) from None
        done += len(chunk)
        done_bytes += sum(size for _, _, size in chunk)
        if tell is not None and (done == len(jobs) or time.monotonic() - told >= PROGRESS_SECONDS):
            told = time.monotonic()
            tell(f"downloaded {done:,}/{len(jobs):,} objects ({done_bytes / 1e6:,.1f} MB) from {url}")
