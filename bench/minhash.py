"""MinHash signing: docclean's numpy signing against rensa (Rust) on the same shingles (issue 24).

Signs the clean texts of an output (``documents`` and ``duplicates``) in
batches of 1,024, three ways, in turn, three times each (best of three):

- ``match keys + tokens``: the text to its match key and 32-bit tokens;
- ``shingles``: the tokens' n-gram hashes (one flat array per batch);
- ``docclean minhash``: `pipeline.dedup.signature` on those shingles (numpy,
  datasketch's permutations, so signatures compare with earlier outputs);
- ``rensa minhash``: ``RMinHash.digest_matrix_from_flat_token_hashes`` on the
  same shingle hashes (not installed by docclean: ``pip install rensa``).

Prints ms per 1,000 documents and the ratio. rensa's signatures are not
datasketch's: adopting it means new signatures (``--full`` once) and a dedup
F1 to measure again, not only a speed-up.

    python -m bench.minhash OUTPUT_FOLDER [--docs 10000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from pipeline import store
from pipeline.core.config import Config
from pipeline.dedup.signature import batch_tokens, shingle_hashes, signatures_of_tokens

BATCH = 1024


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        begun = time.perf_counter()
        work()
        times.append(time.perf_counter() - begun)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="a docclean output folder (its clean texts are signed)")
    parser.add_argument("--docs", type=int, default=10_000)
    args = parser.parse_args()
    texts = []
    for table in ("documents", "duplicates"):
        texts += store.read_table(args.out, table, columns=["text"]).column("text").to_pylist()
    texts = texts[: args.docs]
    batches = [texts[start : start + BATCH] for start in range(0, len(texts), BATCH)]
    settings = Config().dedup.minhash
    rows = [batch_tokens(batch) for batch in batches]
    # CJK rows only (the benchmark's text): one shingle size, as rensa is asked for here.
    cjk = [[tokens for tokens, is_cjk in batch if is_cjk] for batch in rows]
    shingled = [shingle_hashes(batch, settings.cjk_ngram) for batch in cjk]

    figures = {
        "match keys + tokens": best_of(3, lambda: [batch_tokens(batch) for batch in batches]),
        "shingles": best_of(3, lambda: [shingle_hashes(batch, settings.cjk_ngram) for batch in cjk]),
        "docclean minhash": best_of(
            3,
            lambda: [
                signatures_of_tokens(batch, settings.cjk_ngram, settings.num_perm, settings.seed) for batch in cjk
            ],
        ),
    }
    try:
        import rensa
    except ImportError:
        rensa = None
    if rensa is not None:

        def rensa_sign() -> None:
            for hashes, starts in shingled:
                offsets = np.append(starts, len(hashes)).astype(np.uint64)
                rensa.RMinHash.digest_matrix_from_flat_token_hashes(
                    hashes.astype(np.uint64), offsets, settings.num_perm, settings.seed
                )

        figures["rensa minhash"] = best_of(3, rensa_sign)
    count = sum(len(batch) for batch in cjk)
    print(f"{count:,} CJK documents in batches of {BATCH:,}, {settings.num_perm} permutations, best of 3")
    for name, seconds in figures.items():
        print(f"  {name:<22}{1000 * seconds / count * 1000:>9.1f} ms per 1,000 documents")
    if "rensa minhash" in figures:
        ratio = figures["docclean minhash"] / figures["rensa minhash"]
        print(f"  rensa / docclean minhash: {ratio:.1f}x faster")
    else:
        print("  rensa is not installed (pip install rensa) : no comparison")


if __name__ == "__main__":
    main()
