"""Our MinHash signatures are datasketch's: same permutations, same values, without importing it at run time."""

import numpy as np
import pytest
from datasketch import MinHash

from pipeline.dedup.signature import EMPTY, batch_tokens, permutations, shingle_hashes, signatures_of_tokens


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 7), (256, 42), (16, 0)])
def test_permutations_are_the_ones_datasketch_draws(num_perm, seed):
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    ours = permutations(num_perm, seed)
    assert np.array_equal(ours[0], a.astype(np.uint32)) and np.array_equal(ours[1], b.astype(np.uint32))


def test_a_signature_equals_datasketch_minhash_over_the_same_shingle_hashes():
    texts = [
        "北京市委政法委发挥统筹协调作用，组织各区同步部署开展试点工作。",
        "Reporting by Jane Doe; editing by John Smith",
    ]
    rows = batch_tokens(texts)
    for (tokens, is_cjk), text in zip(rows, texts):
        n = 5 if is_cjk else 3
        hashes, _ = shingle_hashes([tokens], n)
        ours = signatures_of_tokens([tokens], n, 128, 1)[0]
        theirs = MinHash(num_perm=128, seed=1, scheme="affine32", hashfunc=int)
        theirs.update_batch(hashes.tolist())
        assert np.array_equal(ours, theirs.hashvalues.astype(np.uint32)), text


def test_signatures_of_a_batch_with_empty_short_and_very_long_rows_are_datasketch_minhashes():
    """Rows are signed in blocks of shingles: a row longer than a block, and rows around its size, come out the same."""
    rng = np.random.default_rng(1)
    sizes = [0, 3, 5000, 10, 4095, 4101, 1, 30000, 0, 700]
    rows = [rng.integers(0x4E00, 0x9FFF, size=n, dtype=np.uint32) for n in sizes]
    sigs = signatures_of_tokens(rows, 5, 64, 3)
    for tokens, sig in zip(rows, sigs):
        hashes, _ = shingle_hashes([tokens], 5)
        if not len(hashes):
            assert (sig == EMPTY).all()
            continue
        theirs = MinHash(num_perm=64, seed=3, scheme="affine32", hashfunc=int)
        theirs.update_batch(hashes.tolist())
        assert np.array_equal(sig, theirs.hashvalues.astype(np.uint32))
