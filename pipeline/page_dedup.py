"""The ``page_dedup`` stage: drop paragraphs that repeat an earlier one on the same page.

E-edition scrapers often capture an article twice on one page (the teaser
column and the full text, or the same frame twice). Each paragraph of a page
is MinHashed; a paragraph whose estimated similarity to an earlier paragraph
reaches ``block_threshold`` (or, if short, that is identical to one) is a
repeat. Repeats are dropped, and recorded, by runs (see `droppable_runs`): a
duplicated body goes whole, while a short line that legitimately recurs
("同志们、朋友们！") or a paragraph that a summary box paraphrases stays.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from pipeline.config import Config
from pipeline.document import Document, Removal
from pipeline.signature import batch_tokens, match_key, token_signatures

STAGE_PAGE_DEDUP = "page_dedup"


# Permutations of the paragraph sketches. Fewer than for whole articles: a
# single paragraph goes only when it repeats another word for word, so an
# estimate (standard error about 0.05 at the 0.8 block threshold) decides
# only whether runs of several paragraphs are a second copy.
BLOCK_PERM = 64

# Below this many characters (after folding) MinHash estimates are noise:
# such paragraphs only count as repeats when they are identical.
MIN_SKETCH_CHARS = 12


def repeated_blocks(keys: Sequence[str], sketched: Sequence[int], sigs: np.ndarray, threshold: float) -> dict[int, tuple[int, float, bool]]:
    """{index: (earlier block it repeats, similarity, identical?)} for each repeat.

    ``keys`` are the blocks' match keys; ``sigs`` holds the sketches of the
    blocks listed in ``sketched`` (those that `needs_sketch`), in that order.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 3, 9], [5, 6, 7, 8]], np.uint32)
    >>> keys = ["甲" * 12, "乙" * 12, "丙" * 12, "甲" * 12, "短"]
    >>> repeated_blocks(keys, [0, 1, 2], sigs, 0.7)
    {1: (0, 0.75, False), 3: (0, 1.0, True)}
    """
    repeats: dict[int, tuple[int, float, bool]] = {}
    first_seen: dict[str, int] = {}
    row_of = {block: row for row, block in enumerate(sketched)}
    kept_rows: list[int] = []
    # Every pairwise similarity of the page's sketches in one array operation;
    # a block with no earlier block near it (most of them) needs no closer look.
    scores_all = (sigs[:, None, :] == sigs[None, :, :]).sum(axis=-1) / sigs.shape[-1] if len(sigs) else sigs
    near_earlier = np.tril(scores_all >= threshold, -1).any(axis=1).tolist() if len(sigs) else []
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
        if kept_rows and near_earlier[row]:
            scores = scores_all[row, kept_rows]
            best = int(np.argmax(scores))
            if scores[best] >= threshold:
                repeats[i] = (sketched[kept_rows[best]], float(scores[best]), False)
                continue
        kept_rows.append(row)
    return repeats


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
    """Indices of the repeats that can go without losing anything worth keeping.

    Repeats are taken by runs of consecutive repeats. A run goes when it holds
    at least ``min_chars`` characters and is either several paragraphs long (a
    scraper's second copy of a body, short lines included) or one paragraph
    repeated word for word. A single paragraph that is only *similar* to an
    earlier one stays: that is how a body paragraph looks next to the summary
    box (核心阅读) that quotes it, and the few words that differ are content.
    A salutation that recurs in a speech ("同志们、朋友们！") is a short run
    and stays too. Whatever its length, a run that repeats the page's opening
    paragraphs right after them (the page is the same text twice) goes.

    >>> blocks = ["甲" * 30, "乙" * 30, "同志们！", "甲" * 30, "乙" * 30, "同志们！"]
    >>> droppable_runs(blocks, {3: (0, 1.0, True), 4: (1, 1.0, True), 5: (2, 1.0, True)}, 40)
    [3, 4, 5]
    >>> droppable_runs(["同志们！", "甲" * 30, "同志们！", "乙" * 30], {2: (0, 1.0, True)}, 40)
    []
    >>> droppable_runs(["甲" * 50, "乙" * 30, "甲" * 49 + "丙"], {2: (0, 0.9, False)}, 40)
    []
    >>> droppable_runs(["春节将至，挂满灯笼。", "春节将至，挂满灯笼。"], {1: (0, 1.0, True)}, 40)
    [1]
    """
    dropped: list[int] = []
    run: list[int] = []
    for i in sorted(repeats) + [None]:
        if run and (i is None or i != run[-1] + 1):
            long_enough = sum(len(blocks[j]) for j in run) >= min_chars
            # The page opens with the same paragraphs twice (a one-paragraph photo
            # caption scraped twice is as much a copy as a ten-paragraph body).
            mirrors_opening = run[0] == len(run) and [repeats[j][0] for j in run] == list(range(len(run)))
            if mirrors_opening or (long_enough and (len(run) > 1 or repeats[run[0]][2])):
                dropped.extend(run)
            run = []
        if i is not None:
            run.append(i)
    return dropped


def _match_keys(blocks: Sequence[str]) -> list[str]:
    # A page scraped twice holds each paragraph twice, character for character:
    # the second copy reuses the first one's key.
    keys: dict[str, str] = {}
    return [keys[block] if block in keys else keys.setdefault(block, match_key(block)) for block in blocks]


def dedup_pages(docs: Sequence[Document], config: Config) -> list[Document]:
    """The ``page_dedup`` stage for a batch: every paragraph that needs one sketched in one go."""
    pages = [doc.paragraphs if not doc.rejected and "\n" in doc.text else [] for doc in docs]
    keys = [_match_keys(blocks) for blocks in pages]
    sketched = [needs_sketch(page_keys) for page_keys in keys]
    wanted = [(page, i) for page, indices in enumerate(sketched) for i in indices]
    rows = batch_tokens([pages[page][i] for page, i in wanted], [keys[page][i] for page, i in wanted])
    sketches = token_signatures(rows, BLOCK_PERM, config.seed, config.block_ngram, config.word_ngram)
    out = []
    first_row = 0
    for doc, blocks, page_keys, indices in zip(docs, pages, keys, sketched):
        sigs = sketches[first_row : first_row + len(indices)]
        first_row += len(indices)
        if len(blocks) < 2:
            out.append(doc)
            continue
        repeats = repeated_blocks(page_keys, indices, sigs, config.block_threshold)
        dropped = set(droppable_runs(blocks, repeats, config.min_repeat_chars)) if repeats else set()
        if not dropped:
            out.append(doc)
            continue
        out.append(
            dataclasses.replace(
                doc,
                text="\n".join(b for i, b in enumerate(blocks) if i not in dropped),
                removals=doc.removals + tuple(Removal(STAGE_PAGE_DEDUP, "repeated_block", blocks[i]) for i in sorted(dropped)),
            )
        )
    return out
