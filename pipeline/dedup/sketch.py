"""The settings that make two MinHash signatures comparable, kept with every signature stored.

datasketch keeps its seed and permutations in each sketch and refuses to
compare sketches that differ. docclean keeps `MinHashSettings` in the schema
metadata of the signatures it stores and refuses any made another way
(`MinHashSettings.check`); the signing itself is `pipeline.dedup.signature`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pyarrow as pa

from pipeline.core.schema import SKETCH_KEY, signatures_schema
from pipeline.dedup.signature import (
    SCHEME,
    band_keys,
    batch_tokens,
    shingle_hashes,
    text_signatures,
    token_signatures,
)

__all__ = ["MinHashSettings", "SketchMismatch", "minhash_settings"]


class SketchMismatch(ValueError):
    """Signatures made with another seed, scheme or size: they cannot be compared."""


@dataclass(frozen=True)
class MinHashSettings:
    """Everything that makes two signatures comparable, in one object.

    datasketch keeps its seed and permutations in each sketch and refuses to
    compare sketches that differ; docclean keeps these settings with the
    signatures it stores (the Parquet schema metadata, see `schema`) and
    `check` refuses signatures made any other way.
    """

    num_perm: int
    seed: int
    cjk_ngram: int
    word_ngram: int
    bands: int
    scheme: str = SCHEME

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    def describe(self) -> dict:
        return {
            "scheme": self.scheme,
            "seed": self.seed,
            "num_perm": self.num_perm,
            "cjk_ngram": self.cjk_ngram,
            "word_ngram": self.word_ngram,
            "bands": self.bands,
        }

    @functools.cached_property
    def schema(self) -> pa.Schema:
        """The signatures table's schema, these settings in its metadata; built once."""
        return signatures_schema(self.num_perm, self.bands, json.dumps(self.describe(), sort_keys=True).encode())

    def check(self, schema: pa.Schema, where: str) -> None:
        """Refuse signatures (a Parquet file's schema) that were not made with these settings.

        >>> settings = MinHashSettings(128, 1, 5, 3, 16)
        >>> settings.check(settings.schema, "here")
        >>> MinHashSettings(128, 2, 5, 3, 16).check(settings.schema, "part-000001.parquet")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        pipeline.dedup.sketch.SketchMismatch: part-000001.parquet: signatures made with seed 1, not 2; MinHashes of
          different settings cannot be compared. Rebuild the output with --full
        """
        raw = (schema.metadata or {}).get(SKETCH_KEY)
        stored = json.loads(raw) if raw else {}
        differ = [
            f"{key} {stored.get(key)!r}, not {value!r}"
            for key, value in self.describe().items()
            if stored.get(key) != value
        ]
        if differ:
            raise SketchMismatch(
                f"{where}: signatures made with {'; '.join(differ)}; MinHashes of different settings cannot be "
                "compared. Rebuild the output with --full"
            )

    def sign(self, texts: Iterable[str]) -> np.ndarray:
        """One MinHash row per text (see `text_signatures`)."""
        return text_signatures(texts, self.num_perm, self.seed, self.cjk_ngram, self.word_ngram)

    def sign_tokens(self, rows: Sequence[tuple[np.ndarray, bool]]) -> np.ndarray:
        return token_signatures(rows, self.num_perm, self.seed, self.cjk_ngram, self.word_ngram)

    def band_keys(self, sigs: np.ndarray) -> np.ndarray:
        return band_keys(sigs, self.bands)

    def exact_similarity(self, left: Sequence[str], right: Sequence[str]) -> np.ndarray:
        """The exact Jaccard similarity of the shingle sets of ``left[k]`` and ``right[k]``, for every k.

        What a signature estimates, computed from the texts: used where an
        estimate is too close to a threshold to decide on. Each distinct
        text is shingled once, however many pairs it is in.

        >>> settings = MinHashSettings(128, 1, 5, 3, 16)
        >>> settings.exact_similarity(["北京市人民政府", "abc"], ["北京市人民政府", "北京市人民政"]).tolist()
        [1.0, 0.0]
        """
        texts = list(dict.fromkeys([*left, *right]))
        where = {text: k for k, text in enumerate(texts)}
        rows = batch_tokens(texts)
        shingle_sets: dict[int, np.ndarray] = {}
        for is_cjk_text, n in ((True, self.cjk_ngram), (False, self.word_ngram)):
            picked = [k for k, (_, cjk) in enumerate(rows) if cjk == is_cjk_text]
            hashes, starts = shingle_hashes([rows[k][0] for k in picked], n)
            ends = np.r_[starts[1:], len(hashes)] if len(starts) else starts
            for k, start, end in zip(picked, starts.tolist(), ends.tolist()):
                shingle_sets[k] = np.unique(hashes[start:end])
        out = np.zeros(len(left), dtype=np.float64)
        for k, (a, b) in enumerate(zip(left, right)):
            i, j = where[a], where[b]
            if rows[i][1] != rows[j][1]:
                continue  # shingled differently: nothing in common
            first, second = shingle_sets[i], shingle_sets[j]
            shared = len(np.intersect1d(first, second, assume_unique=True))
            union = len(first) + len(second) - shared
            out[k] = shared / union if union else 0.0
        return out


@functools.lru_cache(maxsize=16)
def minhash_settings(num_perm: int, seed: int, cjk_ngram: int, word_ngram: int, bands: int) -> MinHashSettings:
    """One shared settings object per combination, so its schema is built once."""
    return MinHashSettings(num_perm, seed, cjk_ngram, word_ngram, bands)
