"""MinHash signatures and LSH band keys, shared by both dedup stages.

Texts are compared on a *match key*, not on their raw characters: case,
width, whitespace and punctuation are folded away, so a copy that differs
only in ASCII-versus-full-width commas is identical. CJK text is shingled
into character n-grams (it has no spaces to split words on); space-delimited
text into word n-grams.

Signatures use datasketch's ``affine32`` permutations (seeded) over a 64-bit
polynomial hash of each token n-gram, computed for a whole batch as numpy
array operations (`signatures_of_tokens`): per-shingle Python calls are what
makes MinHash slow. They are kept as a ``uint32`` matrix of one row per text
so that they can be stored as an Arrow column and compared with vectorised
numpy. Similarities
computed from them are *estimates* of Jaccard similarity: with 128
permutations the standard error is about 0.04 near 0.7.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Iterable, Sequence

import numpy as np
import xxhash

from pipeline.core.patterns import is_han

SCHEME = "affine32"

_WORD = re.compile(r"\w+")
_KEY_DROP = re.compile(r"[\W_]+")
CJK_SHARE = 0.3


def match_key(text: str) -> str:
    """Text folded for comparison: NFKC, case-folded, punctuation and spaces removed.

    >>> match_key("北京, 以“个性化”任务！") == match_key("北京，以个性化任务")
    True
    >>> match_key("ＡＢＣ１２３ Ünïcode")
    'abc123ünïcode'
    """
    # Punctuation goes first: what is left (ideographs, letters, digits) is
    # nearly always NFKC already, and checking that is far cheaper than
    # normalising a whole page.
    key = _KEY_DROP.sub("", text)
    if not unicodedata.is_normalized("NFKC", key):
        key = _KEY_DROP.sub("", unicodedata.normalize("NFKC", key))
    folded = key.casefold()
    return folded if folded == key or folded.isalnum() else _KEY_DROP.sub("", folded)


def shingles(text: str, cjk_ngram: int, word_ngram: int) -> list[str]:
    """The shingle set of ``text`` as strings (sorted): what the signatures hash.

    The reference definition, for readers and tests: `token_signatures`
    computes the same sets as hashed token n-grams, without the strings.

    >>> shingles("北京市政府", 3, 2)
    ['京市政', '北京市', '市政府']
    >>> shingles("The quick brown fox", 3, 2)
    ['brown fox', 'quick brown', 'the quick']
    """
    ((_, cjk),) = batch_tokens([text])
    if cjk:
        return char_shingles(match_key(text), cjk_ngram)
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if len(words) <= word_ngram:
        return [" ".join(words)] if words else []
    return sorted({" ".join(words[i : i + word_ngram]) for i in range(len(words) - word_ngram + 1)})


def char_shingles(key: str, n: int) -> list[str]:
    if len(key) <= n:
        return [key] if key else []
    return sorted({key[i : i + n] for i in range(len(key) - n + 1)})


# Multipliers of the n-gram hash (token i of a shingle times _NGRAM_MULTIPLIERS[i],
# summed mod 2**32, then murmur-mixed): fixed odd constants, so hashes never
# change between runs.
_NGRAM_MULTIPLIERS = np.array(
    [
        0x9E3779B1,
        0x85EBCA77,
        0xC2B2AE3D,
        0x27D4EB2F,
        0x165667B1,
        0xD3A2646D,
        0xFD7046C5,
        0xB55A4F09,
        0x68E31DA5,
        0x1B873593,
        0xCC9E2D51,
        0xE6546B65,
        0x7FEB352D,
        0x846CA68B,
        0x2C1B3C6D,
        0x297A2D39,
        0xA0761D65,
        0xE7037ED1,
        0x8EBC6AF1,
        0x589965CD,
    ],
    dtype=np.uint32,
)
# Shingles per block of the permutation step: its buffer (num_perm x block,
# written in place) then stays in the CPU cache. 4096 was fastest here for
# whole documents (1,500 characters) and for paragraphs alike.
_SHINGLE_BLOCK = 4096
# The MinHash value of a permutation over no shingles: a text whose match key
# is empty has every value EMPTY.
EMPTY = np.uint32(0xFFFFFFFF)


@functools.lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a, b) for ``num_perm`` and ``seed``.

    Drawn here as datasketch 2.0 draws them (``MinHash._init_permutations``:
    odd multipliers and offsets below 2³², from a ``RandomState`` of the
    seed), so that our signatures are datasketch's. Importing datasketch for
    them cost every worker process 0.4 s (it imports scipy.integrate);
    tests/test_signature.py checks that the two agree.

    >>> a, b = permutations(4, 1)
    >>> bool((a % 2 == 1).all()), a.dtype.name, b.dtype.name
    (True, 'uint32', 'uint32')
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def tokens(text: str, key: str | None = None) -> tuple[np.ndarray, bool]:
    """The text's match tokens (uint32) and whether it is CJK (see `batch_tokens`)."""
    return batch_tokens([text], None if key is None else [key])[0]


def batch_tokens(texts: Sequence[str], keys: Sequence[str] | None = None) -> list[tuple[np.ndarray, bool]]:
    """Match tokens (uint32) of each text, and whether it is CJK.

    CJK text (ideographs are at least ``CJK_SHARE`` of its letters): the code
    points of its match key, one token per character. Other text: a 32-bit
    hash per word. Shingles are n-grams of tokens. ``keys`` are the texts'
    `match_key` values, when the caller has them already. The ideograph
    count is one array operation over the whole batch.
    """
    keys = [match_key(t) for t in texts] if keys is None else keys
    points = np.frombuffer("".join(keys).encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    han = _counts_per_row(is_han(points), starts, ends)
    letters = lengths - _counts_per_row(_is_digit(points), starts, ends)
    is_cjk = ((letters > 0) & (han >= CJK_SHARE * letters)).tolist()
    starts = starts.tolist()
    rows = []
    for text, cjk, start, end in zip(texts, is_cjk, starts, ends.tolist()):
        if cjk:
            rows.append((points[start:end], True))
        else:
            words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
            rows.append((np.array([xxhash.xxh32_intdigest(w.encode("utf-8")) for w in words], dtype=np.uint32), False))
    return rows


def _counts_per_row(mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many of each row's points (``mask[start:end]``) are set; empty rows included."""
    running = np.concatenate([[0], np.cumsum(mask)])
    return running[ends] - running[starts]


def _is_digit(points: np.ndarray) -> np.ndarray:
    return (points >= 0x30) & (points <= 0x39)


def shingle_hashes(token_rows: Sequence[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of every token n-gram of every row, and each row's first index.

    A row shorter than ``n`` tokens is one shingle (all of it), as in
    `char_shingles`; an empty row has none. Repeated shingles are kept:
    MinHash takes minima, so they change nothing.
    """
    if n > len(_NGRAM_MULTIPLIERS):
        raise ValueError(f"shingles of more than {len(_NGRAM_MULTIPLIERS)} tokens are not supported")
    lengths = np.array([len(r) for r in token_rows], dtype=np.int64)
    long_rows = lengths >= n
    counts = np.where(long_rows, lengths - n + 1, np.minimum(lengths, 1))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    total = int(counts.sum())
    if not total:
        return np.empty(0, np.uint32), starts
    flat = np.concatenate(token_rows)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    # Start (in `flat`) of every n-gram of the rows with at least n tokens, in row order.
    grams = np.where(long_rows, counts, 0)
    positions = np.arange(int(grams.sum())) + np.repeat(offsets - np.concatenate([[0], np.cumsum(grams)[:-1]]), grams)
    out = np.empty(total, dtype=np.uint32)
    with np.errstate(over="ignore"):
        hashes = flat[positions] * _NGRAM_MULTIPLIERS[0]
        for k in range(1, n):
            hashes += flat[positions + k] * _NGRAM_MULTIPLIERS[k]
        out[np.repeat(long_rows, counts)] = hashes
        for row in np.flatnonzero(~long_rows & (lengths > 0)):
            short = flat[offsets[row] : offsets[row] + lengths[row]]
            out[starts[row]] = np.sum(short * _NGRAM_MULTIPLIERS[: len(short)], dtype=np.uint32)
    return _fmix32(out), starts


def signatures_of_tokens(token_rows: Sequence[np.ndarray], n: int, num_perm: int, seed: int) -> np.ndarray:
    """One MinHash row (uint32[num_perm]) per row of tokens, for all rows at once.

    The min over shingles of datasketch's affine32 permutations (``a * h + b``
    mod 2**32 of the murmur-mixed hash), computed as numpy array operations
    over the whole batch instead of one Python call per shingle.
    """
    hashes, starts = shingle_hashes(token_rows, n)
    sigs = np.full((len(token_rows), num_perm), EMPTY, dtype=np.uint32)
    ends = np.r_[starts[1:], len(hashes)] if len(starts) else starts
    filled = np.flatnonzero(ends > starts)
    if not len(filled):
        return sigs
    # The affine32 step, as datasketch does it: a second murmur mix, then a * h + b.
    h = _fmix32(hashes)
    a, b = (x[:, None] for x in permutations(num_perm, seed))
    buffer = np.empty((num_perm, _SHINGLE_BLOCK), dtype=np.uint32)
    first = 0
    with np.errstate(over="ignore"):
        while first < len(filled):
            # Whole rows, at most _SHINGLE_BLOCK shingles at a time (or one longer row alone).
            last = int(np.searchsorted(ends[filled], starts[filled[first]] + _SHINGLE_BLOCK, side="right"))
            last = max(last, first + 1)
            rows = filled[first:last]
            lo, hi = starts[rows[0]], ends[rows[-1]]
            if len(rows) == 1 and hi - lo > _SHINGLE_BLOCK:
                # One long text (a page of a single megabyte line): its shingles a block at a time.
                for begin in range(lo, hi, _SHINGLE_BLOCK):
                    block = _permuted(a, b, h[begin : min(hi, begin + _SHINGLE_BLOCK)], buffer).min(axis=1)
                    np.minimum(sigs[rows[0]], block, out=sigs[rows[0]])
            else:
                sigs[rows] = np.minimum.reduceat(_permuted(a, b, h[lo:hi], buffer), starts[rows] - lo, axis=1).T
            first = last
    return sigs


def _permuted(a: np.ndarray, b: np.ndarray, h: np.ndarray, buffer: np.ndarray) -> np.ndarray:
    """``a * h + b`` (mod 2**32) for every permutation and hash, written into ``buffer`` (no temporaries)."""
    out = buffer[:, : len(h)]
    np.multiply(a, h, out=out)
    np.add(out, b, out=out)
    return out


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before its permutations."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint32(16))
        h = h * np.uint32(0x85EBCA6B)
        h = h ^ (h >> np.uint32(13))
        h = h * np.uint32(0xC2B2AE35)
        return h ^ (h >> np.uint32(16))


def token_signatures(
    rows: Sequence[tuple[np.ndarray, bool]], num_perm: int, seed: int, cjk_ngram: int, word_ngram: int
) -> np.ndarray:
    """MinHash rows of `tokens` results: CJK ones on character n-grams, the others on word n-grams."""
    sigs = np.full((len(rows), num_perm), EMPTY, dtype=np.uint32)
    for is_cjk_text, n in ((True, cjk_ngram), (False, word_ngram)):
        picked = [i for i, (_, cjk) in enumerate(rows) if cjk == is_cjk_text]
        if picked:
            sigs[picked] = signatures_of_tokens([rows[i][0] for i in picked], n, num_perm, seed)
    return sigs


def text_signatures(texts: Iterable[str], num_perm: int, seed: int, cjk_ngram: int, word_ngram: int) -> np.ndarray:
    """MinHash rows of texts (see `token_signatures`)."""
    return token_signatures(batch_tokens(list(texts)), num_perm, seed, cjk_ngram, word_ngram)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray | float:
    """Estimated Jaccard similarity: the share of equal MinHash values.

    ``b`` may be a matrix, giving one similarity per row.
    """
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"signatures of {a.shape[-1]} and {b.shape[-1]} permutations cannot be compared")
    return np.count_nonzero(a == b, axis=-1) / a.shape[-1]


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def band_keys(sigs: np.ndarray, bands: int) -> np.ndarray:
    """One uint64 key per (row, band): rows whose bands share a key are LSH candidates.

    A vectorised FNV-1a-style mix of the band's values; only equality of keys
    matters, and two different bands of 8 values collide with probability
    about 2**-64.
    """
    n, num_perm = sigs.shape
    if num_perm % bands:
        raise ValueError(f"{bands} bands do not divide {num_perm} permutations")
    rows = num_perm // bands
    view = sigs.reshape(n, bands, rows).astype(np.uint64)
    keys = np.full((n, bands), _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(rows):
            keys = (keys ^ view[:, :, column]) * _FNV_PRIME
    return keys
