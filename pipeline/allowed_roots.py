"""The folders a deployment may read from and write to.

A deployment's ``raw_dir`` and ``out_dir`` are parameters, and anyone who can
reach the Prefect API can start a run with other values: read a planted file
from elsewhere, or write over another folder. The worker's environment names
the roots a run may use (``DOCCLEAN_ALLOWED_ROOTS``, separated like ``PATH``,
relative ones against the working folder); a path outside them is refused
before anything is read. Without the variable (a CLI run on one's own
machine) every path is allowed.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.store import OutputError

ENV = "DOCCLEAN_ALLOWED_ROOTS"


def roots(value: str | None = None) -> list[Path] | None:
    """The allowed roots, resolved; None when no list is set.

    >>> roots(""), [p.name for p in roots("/srv/raw" + os.pathsep + "/srv/clean")]
    (None, ['raw', 'clean'])
    """
    value = os.environ.get(ENV) if value is None else value
    if not value or not value.strip():
        return None
    return [Path(part).resolve() for part in value.split(os.pathsep) if part.strip()]


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
        if "://" in str(path):
            raise OutputError(f"{str(path)!r}: this deployment allows only folders under {_listed(allowed)}")
        resolved = Path(path).resolve()
        if not any(resolved == root or resolved.is_relative_to(root) for root in allowed):
            raise OutputError(
                f"{str(path)!r} is outside the folders this deployment may use ({_listed(allowed)}); "
                f"use a folder under them, or add a root to {ENV} where the worker runs"
            )


def _listed(allowed: list[Path]) -> str:
    return ", ".join(str(p) for p in allowed)


def guard(raw_dir: str, out_dir: str, patterns_file: str | None, follow_symlinks: str, required: bool) -> tuple[str, str]:
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
    return str(Path(raw_dir).resolve()), str(Path(out_dir).resolve())
