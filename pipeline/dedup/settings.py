"""Every setting of deduplication, in one object: what is a copy, and how copies are found.

Like datatrove's ``MinhashConfig``: the threshold, the LSH bands (picked from
the threshold unless given), the margin within which an estimate is checked
on the texts, the shingles, the seed, and the smaller sketch page dedup uses
for paragraphs. `pipeline.core.config.Config.dedup` builds it once from the
options; the dedup stages read nothing else.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from pipeline.dedup.sketch import MinHashSettings, minhash_settings

__all__ = ["DedupSettings", "EXACT_MARGIN", "PARAGRAPH_BANDS", "PARAGRAPH_PERM", "optimal_bands"]

# Estimates this close to the threshold are settled on the texts themselves:
# five standard errors of a 128-permutation estimate near 0.7 (0.04 each), so
# that among ten thousand look-alike pairs (articles that share a long footer,
# at 0.67) not one passes on a lucky estimate.
EXACT_MARGIN = 0.2
# Permutations of the paragraph sketches of page dedup. Fewer than for whole
# articles: a paragraph is short, and an estimate (standard error about 0.05
# at the 0.8 block threshold) only decides which paragraphs are candidates.
PARAGRAPH_PERM = 64
# LSH bands of those sketches: 16 bands of 4 rows find a pair at similarity
# 0.8 with probability 0.9998 (0.64 at 0.5). Candidates are verified on the
# whole sketch, so recall matters more here than a sharp S-curve.
PARAGRAPH_BANDS = 16


@dataclass(frozen=True)
class DedupSettings:
    """What makes two articles copies (``threshold``), and how they are found.

    >>> settings = DedupSettings(threshold=0.7, num_perm=128, seed=1, cjk_ngram=5, word_ngram=3, block_ngram=3)
    >>> settings.bands, settings.minhash.rows, settings.paragraphs.num_perm
    (16, 8, 64)
    """

    threshold: float
    num_perm: int
    seed: int
    cjk_ngram: int
    word_ngram: int
    block_ngram: int
    lsh_bands: int | None = None  # None: `optimal_bands` for the threshold
    exact_margin: float = EXACT_MARGIN

    @property
    def bands(self) -> int:
        return self.lsh_bands if self.lsh_bands is not None else optimal_bands(self.threshold, self.num_perm)

    @property
    def minhash(self) -> MinHashSettings:
        """The sketch of whole articles (cross-page dedup)."""
        return minhash_settings(self.num_perm, self.seed, self.cjk_ngram, self.word_ngram, self.bands)

    @property
    def paragraphs(self) -> MinHashSettings:
        """The sketch of one page's paragraphs (page dedup): fewer permutations, shorter n-grams."""
        return minhash_settings(PARAGRAPH_PERM, self.seed, self.block_ngram, self.word_ngram, PARAGRAPH_BANDS)

    def undecided(self, similarity: float) -> bool:
        """Whether an estimate is too close to the threshold to decide without the texts.

        >>> DedupSettings(0.7, 128, 1, 5, 3, 3).undecided(0.6), DedupSettings(0.7, 128, 1, 5, 3, 3).undecided(0.45)
        (True, False)
        """
        return abs(similarity - self.threshold) < self.exact_margin


@functools.lru_cache(maxsize=64)
def optimal_bands(threshold: float, num_perm: int) -> int:
    """The band count whose S-curve best separates pairs at ``threshold``.

    Minimises the false-positive area below the threshold plus the
    false-negative area above it, the same criterion datasketch's MinHashLSH
    uses, restricted to band counts that divide ``num_perm`` so that every
    permutation is used.

    >>> optimal_bands(0.7, 128)
    16
    >>> 128 % optimal_bands(0.5, 128)
    0
    """
    steps = 200

    def area(f, lo: float, hi: float) -> float:
        width = (hi - lo) / steps
        return sum(f(lo + (i + 0.5) * width) for i in range(steps)) * width

    best, best_error = 1, math.inf
    for bands in range(1, num_perm + 1):
        if num_perm % bands:
            continue
        rows = num_perm // bands

        def collision(s: float, rows: int = rows, bands: int = bands) -> float:
            return 1 - (1 - s**rows) ** bands

        false_pos = area(collision, 0.0, threshold)
        false_neg = area(lambda s: 1 - collision(s), threshold, 1.0)
        if false_pos + false_neg < best_error:
            best, best_error = bands, false_pos + false_neg
    return best
