"""What each option does, said once: the run form's field descriptions, `Config`'s reference and the README's table.

Grouped as the README shows them. Bounds and defaults are not repeated
here: the README table takes the defaults from `Config` and the bounds from
`pipeline.core.option_checks`; ``python -m pipeline.core.options README.md``
writes the table.
"""

from __future__ import annotations

__all__ = ["DESCRIPTIONS", "GROUPS"]

# (heading, {option: description in Markdown}), in `Config`'s field order.
GROUPS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "Reading and decoding",
        {
            "max_file_bytes": "A larger page (a larger JSONL line) is rejected as `too_large` without being held in memory "
            "(a news page is seldom over 1 MiB; cleaning holds up to ~100 bytes per character at once).",
            "encodings": "Legacy encodings tried, in this order of preference, when the bytes are not UTF-8: Python text "
            "codecs that decode bytes to str (not `rot13`, `base64`, `hex`, `zlib`, `undefined`).",
            "max_unrecoverable_ratio": "Share of U+FFFD above which a text is rejected as `undecodable` (below: kept and "
            "flagged `unrecoverable_chars`).",
            "follow_symlinks": "`inside`: a symbolic link is read only when its target lies inside the raw folder, and folder "
            "links are recorded (`symlinked_folder`) without being walked; `all`: every link is read and "
            "folder links are walked, each real folder once.",
        },
    ),
    (
        "Cleaning",
        {
            "normalize_punctuation": "ASCII punctuation (`, ; : ! ? ( )`) between CJK characters to full width.",
            "patterns_file": "TOML file extending `pipeline/core/patterns.toml` (relative to the config file), e.g. another "
            "paper's page-jump markers; compiled before any input is read, and its content (not its path) "
            "is one of the output's settings.",
            "drop_pattern_layouts": "Leave out the built-in pattern entries tagged as added for these gallery layouts "
            "(`layouts = [...]` in `patterns.toml`): what the generalisation test does; also a way "
            "to switch off a site-specific entry that misfires on your pages.",
            "min_chars": "Shorter clean texts are rejected as `empty_after_cleaning`.",
            "learn_boilerplate": "Take out header and footer lines that the corpus shows to be its sites' page furniture "
            "(see *How cleaning generalises*).",
            "boilerplate_min_pages": "A line template can be learned once it stands at the same edge of this many different "
            "articles of one site (and on a tenth of the site's articles at least).",
        },
    ),
    (
        "Duplicates inside one page",
        {
            "block_threshold": "Similarity at which a paragraph repeats an earlier one on the same page.",
            "min_repeat_chars": "A run of consecutive repeated paragraphs is dropped only when it holds at least this many "
            "characters (short lines such as 同志们、朋友们！ legitimately recur).",
            "block_ngram": "Character n-gram size for comparing paragraphs (smaller than `cjk_ngram`: one inserted "
            "character must not hide a repeat).",
        },
    ),
    (
        "Duplicates across pages",
        {
            "dedup_threshold": "Similarity at which two articles are copies (0.7 still catches a repost that lost its last "
            "paragraph of four; articles that share only boilerplate stay well below it).",
            "num_perm": "MinHash permutations.",
            "seed": "MinHash seed (signatures of different seeds cannot be compared).",
            "cjk_ngram": "Character n-gram size for CJK articles.",
            "word_ngram": "Word n-gram size for space-delimited articles.",
            "lsh_bands": "LSH bands (must divide `num_perm`); unset picks the bands that minimise false positives plus false "
            "negatives at `dedup_threshold` (16 bands of 8 for the defaults).",
            "keep_policy": "Which copy of a cluster is kept: criteria from `longest`, `shortest`, `earliest`, `latest`, "
            "`most_metadata`, applied in order; the smallest `doc_id` breaks the last tie.",
        },
    ),
    (
        "Running (may change between incremental runs; all others may not)",
        {
            "batch_size": "Records per batch task.",
            "workers": "Worker processes that clean batches in parallel; 0 is one per CPU, 1 runs everything in the "
            "calling process.",
            "lock_wait_seconds": "When another run is writing the same output folder, wait this long before giving up "
            "(0: fail at once, naming the other run).",
        },
    ),
)

DESCRIPTIONS: dict[str, str] = {name: text for _, options in GROUPS for name, text in options.items()}
