"""What is learned from the template support: which templates are a site's furniture, at which edge.

`learn` reads the support table (`pipeline.learn.support`) and marks each
template top, bottom, or, for sentences, top or bottom only inside a block
of furniture; `Learned` holds the hashes the extract stage takes out, per
site. `relearned` says what changed between two runs' learning, so that the
pages cleaned with the old learning are read again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.clean.boilerplate import BOTTOM, TOP, is_prose, is_said
from pipeline.core.schema import TEMPLATES
from pipeline.learn.shares import FURNITURE_SHARE, MAX_INNER_SHARE, PROSE_MIN_FACTOR, PROSE_SHARE

__all__ = ["MARKS", "Learned", "learn", "learned_at", "learned_from", "relearned"]


# How a template is learned, as the ``learned`` column of `schema.TEMPLATES` says it (comma-joined):
# furniture at that edge, or furniture there only inside a block of furniture (a sentence with weaker evidence).
MARKS = ("top", "bottom", "top_in_block", "bottom_in_block")


@dataclass(frozen=True)
class Learned:
    """The learned templates: per site (scope), the hashes learned at the top and at the bottom.

    ``top_in_block`` and ``bottom_in_block``: sentences that stand at that
    edge of enough of their site's articles to be a short line's furniture,
    not to be a sentence's: they are furniture where furniture stands right
    around them (a site's notice between its credit line and its print
    links), and article text elsewhere. ``table`` holds them all with their
    support, for the run report.
    """

    top: dict[str, frozenset[int]] = field(default_factory=dict)
    bottom: dict[str, frozenset[int]] = field(default_factory=dict)
    top_in_block: dict[str, frozenset[int]] = field(default_factory=dict)
    bottom_in_block: dict[str, frozenset[int]] = field(default_factory=dict)
    table: pa.Table | None = None

    def for_page(self, scope: str) -> tuple[frozenset[int], frozenset[int], frozenset[int], frozenset[int]]:
        """(top, bottom, top_in_block, bottom_in_block) hashes that apply to a page of site ``scope``."""
        return (
            self.top.get(scope, frozenset()),
            self.bottom.get(scope, frozenset()),
            self.top_in_block.get(scope, frozenset()),
            self.bottom_in_block.get(scope, frozenset()),
        )

    def __bool__(self) -> bool:
        return any(getattr(self, mark) for mark in MARKS)

    def __getstate__(self) -> dict:
        # Workers need the hashes only; the table (with every template's text) is for the report.
        return {**self.__dict__, "table": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def marks(self) -> set[tuple[str, int, str]]:
        """Every (scope, template hash, mark) learned."""
        return {(scope, h, mark) for mark in MARKS for scope, hashes in getattr(self, mark).items() for h in hashes}


def learned_at(
    edge: np.ndarray, inside: np.ndarray, pages: np.ndarray, min_pages: int, share: float = FURNITURE_SHARE
) -> np.ndarray:
    """Which templates are furniture at one edge, from their support there, inside bodies, and their site's articles.

    >>> import numpy as np
    >>> learned_at(np.array([5, 5, 40, 9]), np.array([0, 0, 0, 3]), np.array([20, 100, 100, 20]), 5).tolist()
    [True, False, True, False]
    """
    return (edge >= min_pages) & (edge >= share * pages) & (inside <= MAX_INNER_SHARE * (edge + inside))


def learn(support: pa.Table, min_pages: int | None) -> tuple[Learned, pa.Table]:
    """The furniture of each site (see the module's docstring), and the support with its ``learned`` column (`schema.TEMPLATES`).

    A short line is learned at an edge with the evidence of `learned_at`; a
    sentence (`is_prose`, or a short `is_said` line) with ``PROSE_SHARE`` of its site's articles and
    ``PROSE_MIN_FACTOR`` times ``min_pages``, or, with a short line's
    evidence only, inside a block of furniture (``*_in_block``).
    ``min_pages`` None: nothing is learned (``learn_boilerplate`` off), the
    support is kept all the same.
    """
    n = support.num_rows
    found = {mark: np.zeros(n, dtype=bool) for mark in MARKS}
    if min_pages is not None:
        inside, pages = support.column("inside").to_numpy(), support.column("flavour_pages").to_numpy()
        # What a speaker says too, however short (华春莹：我没有可以提供的信息。): a
        # stock answer recurs on a few pages of a site, as a closing sentence does.
        prose = np.array(
            [is_prose(text) or is_said(text) for text in support.column("template").to_pylist()], dtype=bool
        )
        for edge in ("top", "bottom"):
            at = support.column(edge).to_numpy()
            evidence = learned_at(at, inside, pages, min_pages)
            strong = learned_at(at, inside, pages, PROSE_MIN_FACTOR * min_pages, PROSE_SHARE)
            found[edge] = evidence & (~prose | strong)
            found[f"{edge}_in_block"] = evidence & prose & ~strong
    any_mark = np.zeros(n, dtype=bool)
    for marked in found.values():
        any_mark |= marked
    names = (
        [",".join(mark for mark in MARKS if found[mark][row]) or None for row in range(n)]
        if any_mark.any()
        else [None] * n
    )
    support = support.append_column("learned", pa.array(names, pa.string())).cast(TEMPLATES)
    learned = _marked(support.filter(pa.array(any_mark)))
    return learned, support


def learned_from(support: pa.Table | None) -> Learned:
    """What an output's ``templates`` table says was learned (its ``learned`` column): what its pages were cleaned with."""
    if support is None or not support.num_rows:
        return Learned()
    return _marked(support.filter(pc.is_valid(support.column("learned"))))


def _marked(table: pa.Table) -> Learned:
    """The `Learned` of the rows of a support table that carry a ``learned`` mark."""
    sets: dict[str, dict[str, set[int]]] = {mark: {} for mark in MARKS}
    for scope, h, marks in zip(*(table.column(c).to_pylist() for c in ("scope", "template_hash", "learned"))):
        for mark in marks.split(","):
            sets[mark].setdefault(scope, set()).add(h)
    frozen = {
        mark: {scope: frozenset(hashes) for scope, hashes in per_scope.items()} for mark, per_scope in sets.items()
    }
    return Learned(**frozen, table=table)


def relearned(before: Learned, now: Learned) -> pa.Table:
    """(scope, template_hash, edge) of every template whose learning at one edge (TOP or BOTTOM) changed since ``before``."""
    edge_of = {"top": TOP, "bottom": BOTTOM, "top_in_block": TOP, "bottom_in_block": BOTTOM}
    changed = sorted({(scope, h, edge_of[mark]) for scope, h, mark in before.marks() ^ now.marks()})
    return pa.table(
        {
            "scope": pa.array([c[0] for c in changed], pa.string()),
            "template_hash": pa.array([c[1] for c in changed], pa.uint64()),
            "edge": pa.array([c[2] for c in changed], pa.uint8()),
        }
    )
