"""The ``page_dedup`` stage: drop what a page holds twice, and only that.

E-edition scrapers often capture an article twice on one page (the teaser
column and the full text, or the same frame twice). Each paragraph of a page
is MinHashed; a paragraph whose estimated similarity to an earlier paragraph
reaches ``block_threshold`` (or, if short, that is identical to one) is a
repeat. Earlier paragraphs are found through LSH buckets of the sketches, so
a page of ten thousand paragraphs costs ten thousand lookups, not a hundred
million comparisons.

What goes (see `droppable_runs`): a second copy of a block of paragraphs,
in the same order, short lines included; and a paragraph repeated word for
word. What stays: a lone paragraph that is only *similar* to another (the
parallel lines of a commentary, a summary box paraphrasing the body, a close
echoing the lead), and a short line that recurs ("同志们、朋友们！").
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from pipeline.core.config import Config
from pipeline.core.document import Document, Removal
from pipeline.dedup.signature import batch_tokens, match_key
from pipeline.dedup.sketch import MinHashSettings

STAGE_PAGE_DEDUP = "page_dedup"

# Below this many characters (after folding) MinHash estimates are noise:
# such paragraphs only count as repeats when they are identical.
MIN_SKETCH_CHARS = 12
# Earlier paragraphs kept per LSH bucket, and compared per paragraph: bounds
# the work on a page of thousands of near-identical lines (a numbered list).
BUCKET_CAP = 32
MAX_CANDIDATES = 64
# A second copy may skip this many paragraphs of the first one minus one.
MAX_COPY_GAP = 2


def repeated_blocks(
    keys: Sequence[str], sketched: Sequence[int], sigs: np.ndarray, threshold: float, settings: MinHashSettings
) -> dict[int, tuple[int, float, bool]]:
    """{index: (earlier block it repeats, similarity, identical?)} for each repeat.

    ``keys`` are the blocks' match keys; ``sigs`` holds the sketches of the
    blocks listed in ``sketched`` (those that `needs_sketch`), in that order.
    A block is compared with earlier blocks that are not repeats themselves
    (on a long page, only with those that share an LSH band with it).

    >>> from pipeline.dedup.sketch import MinHashSettings
    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 3, 9], [5, 6, 7, 8]], np.uint32)
    >>> keys = ["甲" * 12, "乙" * 12, "丙" * 12, "甲" * 12, "短"]
    >>> repeated_blocks(keys, [0, 1, 2], sigs, 0.7, MinHashSettings(4, 1, 3, 3, 4))
    {1: (0, 0.75, False), 3: (0, 1.0, True)}
    """
    repeats: dict[int, tuple[int, float, bool]] = {}
    first_seen: dict[str, int] = {}
    row_of = {block: row for row, block in enumerate(sketched)}
    earlier = _EarlierBlocks(sigs, settings, threshold)
    for i, key in enumerate(keys):
        if not key:
            continue
        if key in first_seen:
            repeats[i] = (first_seen[key], 1.0, True)
            continue
        first_seen[key] = i
        row = row_of.get(i)
        if row is None:
            continue
        match = earlier.best(row)
        if match is not None:
            repeats[i] = (sketched[match[0]], match[1], False)
            continue
        earlier.add(row)
    return repeats


class _EarlierBlocks:
    """The sketched blocks kept so far, and the one a new block repeats, if any.

    A page of a few dozen sketched paragraphs (nearly all of them) has every
    pairwise similarity computed in one array operation; a longer page goes
    through LSH buckets, so its cost stays linear (at most
    ``MAX_CANDIDATES`` comparisons a block).
    """

    def __init__(self, sigs: np.ndarray, settings: MinHashSettings, threshold: float) -> None:
        self.sigs, self.threshold = sigs, threshold
        self.kept: list[int] = []
        self.dense = len(sigs) <= MAX_CANDIDATES
        if self.dense:
            self.scores = (sigs[:, None, :] == sigs[None, :, :]).sum(axis=-1) / sigs.shape[-1] if len(sigs) else sigs
            # A block with no earlier block near it (most of them) needs no closer look.
            self.near_earlier = np.tril(self.scores >= threshold, -1).any(axis=1).tolist() if len(sigs) else []
        else:
            # Kept as an array, a row turned into Python ints only when looked up:
            # a page of 30,000 short paragraphs would otherwise hold half a million ints.
            self.bands = settings.band_keys(sigs)
            self.buckets: dict[tuple[int, int], list[int]] = {}

    def best(self, row: int) -> tuple[int, float] | None:
        """The earlier kept block most similar to ``row``, when that reaches the threshold."""
        if self.dense:
            if not (self.kept and self.near_earlier[row]):
                return None
            candidates, scores = self.kept, self.scores[row, self.kept]
        else:
            lookups = enumerate(self.bands[row].tolist())
            candidates = sorted({earlier for lookup in lookups for earlier in self.buckets.get(lookup, ())})[
                :MAX_CANDIDATES
            ]
            if not candidates:
                return None
            scores = np.count_nonzero(self.sigs[candidates] == self.sigs[row], axis=1) / self.sigs.shape[1]
        top = int(np.argmax(scores))
        return (candidates[top], float(scores[top])) if scores[top] >= self.threshold else None

    def add(self, row: int) -> None:
        self.kept.append(row)
        if not self.dense:
            for lookup in enumerate(self.bands[row].tolist()):
                bucket = self.buckets.setdefault(lookup, [])
                if len(bucket) < BUCKET_CAP:
                    bucket.append(row)


def needs_sketch(keys: Sequence[str]) -> list[int]:
    """The blocks whose similarity can matter: long enough, and not a word-for-word repeat.

    >>> needs_sketch(["甲" * 12, "乙" * 12, "甲" * 12, "短"])
    [0, 1]
    """
    seen: set[str] = set()
    out = []
    for i, key in enumerate(keys):
        if len(key) >= MIN_SKETCH_CHARS and key not in seen:
            out.append(i)
        seen.add(key)
    return out


def droppable_runs(blocks: Sequence[str], repeats: dict[int, tuple[int, float, bool]], min_chars: int) -> list[int]:
    """Indices of the repeats that can go without losing anything the page holds once.

    Repeats are taken by runs of consecutive repeats. A run is a second copy
    of a block when it repeats earlier paragraphs in the same order (each
    one after the one before, all of them before the run starts); such a run
    goes whole, short lines and near copies included, when it has several
    paragraphs, at least ``min_chars`` characters and one paragraph repeated
    word for word, or when the page ends with the paragraphs right before
    them once more, word for word. Outside such a copy,
    only a paragraph repeated word for word (of ``min_chars`` or more)
    goes: a lone near copy stays, since the words that differ are content.

    >>> blocks = ["甲" * 30, "乙" * 30, "同志们！", "甲" * 30, "乙" * 29 + "丁", "同志们！"]
    >>> droppable_runs(blocks, {3: (0, 1.0, True), 4: (1, 0.9, False), 5: (2, 1.0, True)}, 40)
    [3, 4, 5]
    >>> droppable_runs(["同志们！", "甲" * 30, "同志们！", "乙" * 30], {2: (0, 1.0, True)}, 40)
    []
    >>> droppable_runs(["甲" * 50, "乙" * 30, "甲" * 49 + "丙"], {2: (0, 0.9, False)}, 40)
    []
    >>> droppable_runs(["一甲" * 20, "一乙" * 20, "一丙" * 20], {1: (0, 0.8, False), 2: (1, 0.8, False)}, 40)
    []
    >>> droppable_runs(["春节将至，挂满灯笼。", "春节将至，挂满灯笼。"], {1: (0, 1.0, True)}, 40)
    [1]
    """
    dropped: list[int] = []
    run: list[int] = []
    for i in sorted(repeats) + [None]:
        if run and (i is None or i != run[-1] + 1):
            dropped.extend(_droppable(run, blocks, repeats, min_chars))
            run = []
        if i is not None:
            run.append(i)
    return dropped


def _droppable(
    run: list[int], blocks: Sequence[str], repeats: dict[int, tuple[int, float, bool]], min_chars: int
) -> list[int]:
    targets = [repeats[j][0] for j in run]
    # A second copy follows the first paragraph by paragraph (one may be
    # missing), lies wholly after it, and holds at least one paragraph word
    # for word: a list of similar lines (第1条…, 第2条…) is none of that.
    in_order = all(0 < b - a <= MAX_COPY_GAP for a, b in zip(targets, targets[1:])) and targets[-1] < run[0]
    identical = [repeats[j][2] for j in run]
    long_enough = sum(len(blocks[j]) for j in run) >= min_chars
    # The page ends with the paragraphs right before it once more, word for
    # word (a short caption scraped twice, perhaps under a headline).
    mirrors = all(identical) and run[-1] == len(blocks) - 1 and targets == list(range(run[0] - len(run), run[0]))
    if in_order and ((len(run) > 1 and long_enough and any(identical)) or mirrors):
        return run
    return [j for j in run if repeats[j][2] and len(blocks[j]) >= min_chars]


def _match_keys(blocks: Sequence[str]) -> list[str]:
    # A page scraped twice holds each paragraph twice, character for character:
    # the second copy reuses the first one's key.
    keys: dict[str, str] = {}
    return [keys[block] if block in keys else keys.setdefault(block, match_key(block)) for block in blocks]


def dedup_pages(docs: Sequence[Document], config: Config) -> list[Document]:
    """The ``page_dedup`` stage for a batch: every paragraph that needs one sketched in one go."""
    settings = config.dedup.paragraphs
    pages = [doc.paragraphs if not doc.rejected and "\n" in doc.text else [] for doc in docs]
    keys = [_match_keys(blocks) for blocks in pages]
    sketched = [needs_sketch(page_keys) for page_keys in keys]
    wanted = [(page, i) for page, indices in enumerate(sketched) for i in indices]
    rows = batch_tokens([pages[page][i] for page, i in wanted], [keys[page][i] for page, i in wanted])
    sketches = settings.sign_tokens(rows)
    out = []
    first_row = 0
    for doc, blocks, page_keys, indices in zip(docs, pages, keys, sketched):
        sigs = sketches[first_row : first_row + len(indices)]
        first_row += len(indices)
        if len(blocks) < 2:
            out.append(doc)
            continue
        repeats = repeated_blocks(page_keys, indices, sigs, config.block_threshold, settings)
        dropped = set(droppable_runs(blocks, repeats, config.min_repeat_chars)) if repeats else set()
        if not dropped:
            out.append(doc)
            continue
        out.append(
            doc.replace(
                text="\n".join(b for i, b in enumerate(blocks) if i not in dropped),
                removals=doc.removals
                + tuple(Removal(STAGE_PAGE_DEDUP, "repeated_block", blocks[i]) for i in sorted(dropped)),
            )
        )
    return out
