"""The folders a deployment may read from and write to.

A deployment's ``raw_dir`` and ``out_dir`` are parameters, and anyone who can
reach the Prefect API can start a run with other values: read a planted file
from elsewhere, or write over another folder. The worker's environment names
the roots a run may use (``DOCCLEAN_ALLOWED_ROOTS``, separated like ``PATH``,
relative ones against the working folder, object-storage prefixes such as
``s3://bucket/clean`` as written); a path outside them is refused
before anything is read. Without the variable (a CLI run on one's own
machine) every path is allowed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pipeline.store.layout import OutputError
from pipeline.store.objects import is_url

ENV = "DOCCLEAN_ALLOWED_ROOTS"

# The deployment's own environment wins over the worker's: a root added where the worker runs is not seen
# by a deployment that sets the variable itself (prefect.yaml does).
WHERE_TO_SET = (
    f"{ENV} in the deployment's job variables (prefect.yaml: work_pool.job_variables.env, which overrides "
    "the worker's environment) and deploy again; where the worker runs only if the deployment sets none"
)


def roots(value: str | None = None) -> list[Path | str] | None:
    """The allowed roots, folders resolved and URLs as written; None when no list is set.

    A URL holds ``:`` itself, so roots are split on ``:`` only where no ``//`` follows.

    >>> roots(""), [str(p) for p in roots("/srv/raw:/srv/clean:s3://bucket/clean")]
    (None, ['/srv/raw', '/srv/clean', 's3://bucket/clean'])
    """
    value = os.environ.get(ENV) if value is None else value
    if not value or not value.strip():
        return None
    parts = re.split(re.escape(os.pathsep) + r"(?!//)", value) if os.pathsep == ":" else value.split(os.pathsep)
    return [
        part.strip().rstrip("/") if is_url(part.strip()) else Path(part).resolve() for part in parts if part.strip()
    ]


def _url_allowed(url: str, allowed: list[Path | str]) -> bool:
    """Whether a URL is one of the allowed URL roots or under one (no ``..`` segments).

    >>> _url_allowed("s3://b/clean/2020", ["s3://b/clean"]), _url_allowed("s3://b/cleaner", ["s3://b/clean"])
    (True, False)
    >>> _url_allowed("s3://b/clean/../secret", ["s3://b/clean"])
    False
    """
    url = url.rstrip("/")
    if any(part in (".", "..") for part in url.split("://", 1)[1].split("/")):
        return False
    return any(isinstance(root, str) and (url == root or url.startswith(root + "/")) for root in allowed)


def check(*paths: str | Path, allowed: list[Path] | None = None, required: bool = False) -> None:
    """Refuse any path that resolves (links followed, ``..`` folded) outside the allowed roots.

    ``required``: with no roots declared, refuse every path (a deployment must declare them).
    """
    allowed = roots() if allowed is None else allowed
    if allowed is None:
        if required:
            raise OutputError(
                f"this deployment declares no folders it may use: set {ENV} in the job variables' env "
                "(prefect.yaml: work_pool.job_variables.env) and deploy again"
            )
        return
    for path in paths:
        if is_url(str(path)):
            if not _url_allowed(str(path), allowed):
                raise OutputError(
                    f"{str(path)!r} is outside the places this deployment may use ({_listed(allowed)}); "
                    f"use a prefix under them, or add one to {WHERE_TO_SET}"
                )
            continue
        resolved = Path(path).resolve()
        if not any(isinstance(root, Path) and (resolved == root or resolved.is_relative_to(root)) for root in allowed):
            raise OutputError(
                f"{str(path)!r} is outside the folders this deployment may use ({_listed(allowed)}); "
                f"use a folder under them, or add a root to {WHERE_TO_SET}"
            )


def _listed(allowed: list[Path | str]) -> str:
    return ", ".join(str(p) for p in allowed)


def guard(
    raw_dir: str, out_dir: str, patterns_file: str | None, follow_symlinks: str, required: bool
) -> tuple[str, str]:
    """Check everything a deployment run would read or write; return the folders resolved.

    The patterns file is read too, and following links everywhere (``follow_symlinks
    = "all"``) would read past the roots through any link under the raw folder.
    The resolved paths are what the run then uses, so nothing can be swapped in
    between the check and the run.
    """
    allowed = roots()
    check(raw_dir, out_dir, *([patterns_file] if patterns_file else []), allowed=allowed, required=required)
    if allowed is None:
        return raw_dir, out_dir
    if follow_symlinks != "inside":
        raise OutputError(
            f"follow_symlinks={follow_symlinks!r} would read outside the folders this deployment may use "
            f"({_listed(allowed)}); leave it at 'inside'"
        )
    return tuple(place if is_url(place) else str(Path(place).resolve()) for place in (raw_dir, out_dir))
