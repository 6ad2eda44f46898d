"""The ``page_dedup`` stage: drop paragraphs that repeat an earlier one on the same page.

E-edition scrapers often capture an article twice on one page (the teaser
column and the full text, or the same frame twice). Each paragraph of a page
is MinHashed; a paragraph whose estimated similarity to an earlier kept
paragraph reaches ``block_threshold`` is dropped and recorded. Paragraphs
shorter than ``min_block_chars`` are always kept: short lines recur
legitimately.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from pipeline.config import Config
from pipeline.document import Document, Removal
from pipeline.signature import match_key, shingles, signatures, similarity

STAGE_PAGE_DEDUP = "page_dedup"


def repeated_blocks(blocks: Sequence[str], sigs: np.ndarray, threshold: float, min_chars: int) -> list[tuple[int, int, float]]:
    """(index, index of the earlier block it repeats, similarity) for each repeat.

    ``sigs`` holds one signature row per block, in order.
    """
    repeats: list[tuple[int, int, float]] = []
    kept: list[int] = []
    keys = [match_key(b) for b in blocks]
    for i, block in enumerate(blocks):
        if len(block) >= min_chars and kept:
            exact = next((j for j in kept if keys[j] == keys[i]), None)
            if exact is not None:
                repeats.append((i, exact, 1.0))
                continue
            scores = similarity(sigs[i], sigs[kept])
            best = int(np.argmax(scores))
            if scores[best] >= threshold:
                repeats.append((i, kept[best], float(scores[best])))
                continue
        kept.append(i)
    return repeats


def dedup_pages(docs: Sequence[Document], config: Config) -> list[Document]:
    """The ``page_dedup`` stage for a batch: one datasketch bulk call for every paragraph."""
    paragraphs = [doc.paragraphs if not doc.rejected else [] for doc in docs]
    flat = [shingles(p, config.block_ngram, config.word_ngram) for ps in paragraphs for p in ps]
    sigs = signatures(flat, config.num_perm, config.seed)
    out, start = [], 0
    for doc, blocks in zip(docs, paragraphs):
        block_sigs = sigs[start : start + len(blocks)]
        start += len(blocks)
        if len(blocks) < 2:
            out.append(doc)
            continue
        repeats = repeated_blocks(blocks, block_sigs, config.block_threshold, config.min_block_chars)
        if not repeats:
            out.append(doc)
            continue
        dropped = {i for i, _, _ in repeats}
        out.append(
            dataclasses.replace(
                doc,
                text="\n".join(b for i, b in enumerate(blocks) if i not in dropped),
                removals=doc.removals + tuple(Removal(STAGE_PAGE_DEDUP, "repeated_block", blocks[i]) for i, _, _ in repeats),
            )
        )
    return out
