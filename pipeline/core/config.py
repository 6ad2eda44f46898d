"""The run configuration: one immutable object, validated once at the boundary.

Every option is documented on `Config`. A wrong value raises `ConfigError`
with a message that names the option, the bad value and how to fix it, before
any input is read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import xxhash

from pipeline.core.errors import ConfigError
from pipeline.core.patterns import Patterns, load_patterns
from pipeline.core.option_checks import (DEPENDS_ON, RUNNING_OPTIONS, _as_tuples, field_problems, problems_error, problems_of, unknown_option)
from pipeline.core.toml_files import read_config
from pipeline.dedup.settings import DedupSettings, optimal_bands

__all__ = ["Config", "ConfigError", "patterns_digest"]

@dataclass(frozen=True)
class Config:
    """Options of one cleaning run (CLI ``--config`` TOML keys and flow ``options``).

    Reading and decoding
      ``max_file_bytes``: a page (a JSONL line) larger than this is rejected as
      ``too_large`` instead of being read into memory (default 16 MiB: a news
      page is seldom over 1 MiB, and cleaning holds up to about 100 bytes per
      character of a page at once).
      ``encodings``: legacy encodings tried, in this order of preference, when
      the bytes are not valid UTF-8 (default: GB18030, Big5, Shift-JIS, EUC-KR,
      UTF-16, cp1252).
      ``max_unrecoverable_ratio``: a text whose share of U+FFFD replacement
      characters is above this is rejected as ``undecodable``; below it, the
      document is kept and flagged ``unrecoverable_chars`` (default 0.05).

      ``follow_symlinks``: ``"inside"`` (default) reads a symbolic link only
      when its target lies inside the raw folder, and records folder links
      without walking them; ``"all"`` reads every link and walks folder links
      (each real folder once, so a loop ends). Links that are not followed
      are rejected with a reason, never skipped silently.

    Cleaning
      ``normalize_punctuation``: turn ASCII ``, ; : ! ? ( )`` that a scraper put
      between CJK characters into their full-width forms (default on).
      ``patterns_file``: a TOML file whose tables extend the built-in pattern
      table (``pipeline/core/patterns.toml``), e.g. another newspaper's page-jump
      markers or metadata line. It is compiled when the config is made, so a
      bad regex stops the run before any input is read, and its content
      (not its path) is one of the settings the output is built with.
      ``drop_pattern_layouts``: built-in pattern entries tagged as added for
      these gallery layouts (``layouts = [...]`` in ``patterns.toml``) are left
      out: what the generalisation test does to see a layout the way a new
      site is seen; also a way to switch off a site-specific entry that
      misfires on your pages (default none).
      ``min_chars``: a cleaned article shorter than this is rejected as
      ``empty_after_cleaning`` (default 1).
      ``learn_boilerplate``: take out header and footer lines that the corpus
      shows to be page furniture (`pipeline.clean.boilerplate`; default on).
      ``boilerplate_min_pages``: a line template is learned once it stands at
      the same edge of at least this many different articles, per corpus or
      per source (sub-folder, JSONL ``source``), and almost never inside a
      body (default 5).

    Duplicates inside one page
      ``block_threshold``: two paragraphs of one page whose estimated Jaccard
      similarity reaches this are the same block; the later one is a repeat
      (default 0.8).
      ``min_repeat_chars``: a run of consecutive repeated paragraphs is dropped
      only when it holds at least this many characters, since short lines
      ("同志们、朋友们！", an interview's "记者：") legitimately recur (default 40).
      ``block_ngram``: character n-gram size for comparing paragraphs. Smaller
      than ``cjk_ngram`` because paragraphs are short: one inserted character
      should not hide a repeat (default 3).

    Duplicates across pages
      ``dedup_threshold``: estimated Jaccard similarity at which two articles are
      copies of one another (default 0.7: still catches a repost that lost its
      last paragraph of four, while articles that share only boilerplate stay
      well below it).
      ``num_perm``, ``seed``: MinHash size and permutation seed; sketches made
      with other values cannot be compared (default 128, 1).
      ``cjk_ngram``, ``word_ngram``: shingle size in characters for CJK text and
      in words for space-delimited text (default 5 and 3).
      ``lsh_bands``: number of LSH bands; ``num_perm`` must be divisible by it.
      Leave unset to pick the bands that minimise false positives plus false
      negatives at ``dedup_threshold``.
      ``keep_policy``: which copy of a cluster is kept, as criteria applied in
      order, the smallest ``doc_id`` breaking the last tie. Criteria:
      ``longest``/``shortest`` (clean characters), ``earliest``/``latest``
      (date; documents without a date come last), ``most_metadata`` (title,
      date, publication, authors present). Default ``["longest", "earliest"]``:
      the most complete copy, then the first published.

    Running (these may change between incremental runs; all others may not)
      ``batch_size``: records per batch task (default 256).
      ``workers``: worker processes that clean batches in parallel (default
      0: one per CPU; 1 runs everything in the calling process).
      ``lock_wait_seconds``: when another run is writing the same output
      folder, wait this long for it to finish before giving up (default 0:
      fail at once with a message naming the other run).
    """

    max_file_bytes: int = 16 * 1024 * 1024
    encodings: tuple[str, ...] = ("gb18030", "big5", "shift_jis", "euc_jp", "euc_kr", "utf_16", "cp1252")
    max_unrecoverable_ratio: float = 0.05
    follow_symlinks: str = "inside"
    normalize_punctuation: bool = True
    patterns_file: str | None = None
    drop_pattern_layouts: tuple[str, ...] = ()
    min_chars: int = 1
    learn_boilerplate: bool = True
    boilerplate_min_pages: int = 5
    block_threshold: float = 0.8
    min_repeat_chars: int = 40
    block_ngram: int = 3
    dedup_threshold: float = 0.7
    num_perm: int = 128
    seed: int = 1
    cjk_ngram: int = 5
    word_ngram: int = 3
    lsh_bands: int | None = None
    keep_policy: tuple[str, ...] = ("longest", "earliest")
    batch_size: int = 256
    workers: int = 0
    lock_wait_seconds: float = 0.0

    # Derived once, so that every stage sees the same LSH shape.
    lsh_rows: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        # Every problem at once: each option on its own, then what spans options
        # (only where the options it needs are good).
        found = field_problems(self.to_mapping())
        problems = [message for messages in found.values() for message in messages]
        if "patterns_file" not in found and self.patterns_file is not None:
            # Absolute: workers (another process, another machine's Dask worker)
            # do not share the working folder the path was given in.
            object.__setattr__(self, "patterns_file", str(Path(self.patterns_file).resolve()))
        # Compiled now: a bad pattern must stop the run before any input is read.
        if not {"patterns_file", "drop_pattern_layouts"} & found.keys() and (self.patterns_file is not None or self.drop_pattern_layouts):
            try:
                self.patterns
            except ConfigError as error:
                problems.extend(problems_of(error))
        bands = None
        if not {"num_perm", "dedup_threshold", "lsh_bands"} & found.keys():
            if self.lsh_bands is None:
                bands = optimal_bands(self.dedup_threshold, self.num_perm)
            elif self.lsh_bands > self.num_perm:
                problems.append(f"lsh_bands must be between 1 and num_perm={self.num_perm}, got {self.lsh_bands}")
            elif self.num_perm % self.lsh_bands:
                divisors = [b for b in range(2, self.num_perm) if self.num_perm % b == 0]
                problems.append(
                    f"lsh_bands={self.lsh_bands} does not divide num_perm={self.num_perm}; "
                    f"use one of {divisors} or leave lsh_bands unset"
                )
            else:
                bands = self.lsh_bands
        if problems:
            raise problems_error(problems)
        object.__setattr__(self, "lsh_bands", bands)
        object.__setattr__(self, "lsh_rows", self.num_perm // bands)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> Config:
        """Build from plain values (TOML, JSON flow parameters), rejecting unknown keys; every problem at once.

        >>> Config.from_mapping({"dedup_threshold": 0.8}).dedup_threshold
        0.8
        >>> Config.from_mapping({"dedup_treshold": 0.8})
        Traceback (most recent call last):
        ...
        pipeline.core.errors.ConfigError: unknown option 'dedup_treshold' (did you mean 'dedup_threshold'?)
        >>> Config.from_mapping({"dedup_treshold": 0.8, "seed": -1, "encodings": ["rot13"]})
        Traceback (most recent call last):
        ...
        pipeline.core.errors.ConfigError: 3 problems with the options: unknown option 'dedup_treshold' (did you mean 'dedup_threshold'?); seed must be between 0 and 4294967295 (MinHash permutations are drawn from a 32-bit seed), got -1; encodings: 'rot13' is not a text encoding (it maps str to str); use codec names such as gb18030, big5, shift_jis, euc_kr, cp1252
        """
        values = dict(values or {})
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        problems = [unknown_option(key, known) for key in values if key not in known]
        values = {key: value for key, value in values.items() if key in known}
        found = field_problems(values)
        for key, messages in found.items():
            problems.extend(messages)
        if problems:
            # The good values still get the checks that span options, so that this is every problem.
            good = {key: value for key, value in values.items()
                    if key not in found and not any(need in found for need in DEPENDS_ON.get(key, ()))}
            try:
                cls(**_as_tuples(good))
            except ConfigError as error:
                problems.extend(p for p in problems_of(error) if p not in problems)
            raise problems_error(problems)
        return cls(**_as_tuples(values))

    @classmethod
    def from_toml(cls, path: str | Path) -> Config:
        """The config a TOML file describes (see `read_config`: only a small regular file is read)."""
        return cls.from_mapping(read_config(path))

    def to_mapping(self) -> dict[str, Any]:
        """Plain values that `from_mapping` turns back into an equal config."""
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in dataclasses.fields(self)
            if f.init
        }

    @property
    def patterns(self) -> Patterns:
        """The pattern table this run cleans with (built-in, extended by ``patterns_file``); compiled once."""
        return load_patterns(self.patterns_file, frozenset(self.drop_pattern_layouts))

    @property
    def dedup(self) -> DedupSettings:
        """Every setting of deduplication (threshold, bands, shingles, seed, paragraph sketch), in its one owner."""
        return DedupSettings(threshold=self.dedup_threshold, num_perm=self.num_perm, seed=self.seed, cjk_ngram=self.cjk_ngram,
                             word_ngram=self.word_ngram, block_ngram=self.block_ngram, lsh_bands=self.lsh_bands)

    def output_settings(self) -> dict[str, Any]:
        """The options that shape the output: an incremental run must match them.

        A patterns file counts by its content: editing it changes how pages
        are cleaned, while moving it does not.
        """
        settings = {k: v for k, v in self.to_mapping().items() if k not in RUNNING_OPTIONS}
        settings["patterns_file"] = patterns_digest(self.patterns_file)
        return settings


def patterns_digest(path: str | None) -> str | None:
    """xxh3-64 of a patterns file's bytes (None without one): what `output_settings` compares."""
    if path is None:
        return None
    try:
        return "xxh3:" + xxhash.xxh3_64_hexdigest(Path(path).read_bytes())
    except OSError as error:
        raise ConfigError(f"cannot read patterns_file {path!r}: {error.strerror or error}") from None
