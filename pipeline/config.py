"""The run configuration: one immutable object, validated once at the boundary.

Every option is documented on `Config`. A wrong value raises `ConfigError`
with a message that names the option, the bad value and how to fix it, before
any input is read.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import xxhash

from pipeline.errors import ConfigError
from pipeline.patterns import Patterns, load_patterns
from pipeline.signature import MinHashSettings, minhash_settings

__all__ = ["Config", "ConfigError", "FRACTIONS", "INT_BOUNDS", "RUNNING_OPTIONS", "KEEP_CRITERIA", "SYMLINK_POLICIES", "optimal_bands"]

# Options that change how a run goes, not what it writes.
RUNNING_OPTIONS = ("batch_size", "workers", "lock_wait_seconds")
# Bounds of the whole-number options, (minimum, maximum or None); the flow's
# typed parameters (`pipeline.options`) show the same bounds in the UI.
INT_BOUNDS: dict[str, tuple[int, int | None]] = {
    "max_file_bytes": (1, None),
    "min_chars": (1, None),
    "boilerplate_min_pages": (2, 1_000_000),
    "min_repeat_chars": (1, None),
    "num_perm": (16, 1024),
    "seed": (0, None),
    "cjk_ngram": (1, 20),
    "block_ngram": (1, 20),
    "word_ngram": (1, 20),
    "batch_size": (1, 100_000),
    # More processes than this only thrash one machine; a cluster scales out instead.
    "workers": (0, 256),
}
FRACTIONS = ("max_unrecoverable_ratio", "block_threshold", "dedup_threshold")
KEEP_CRITERIA = ("longest", "shortest", "earliest", "latest", "most_metadata")
# "inside": a link is read only when its target lies inside the raw folder;
# "all": every link is read, and folder links are walked (each folder once).
SYMLINK_POLICIES = ("inside", "all")
# Permutations of the paragraph sketches of page dedup. Fewer than for whole
# articles: a paragraph is short, and an estimate (standard error about 0.05
# at the 0.8 block threshold) only decides which paragraphs are candidates.
PARAGRAPH_PERM = 64
# LSH bands of those sketches: 16 bands of 4 rows find a pair at similarity
# 0.8 with probability 0.9998 (0.64 at 0.5). Candidates are verified on the
# whole sketch, so recall matters more here than a sharp S-curve.
PARAGRAPH_BANDS = 16


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
      table (``pipeline/patterns.toml``), e.g. another newspaper's page-jump
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
      shows to be page furniture (`pipeline.boilerplate`; default on).
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
        for name, (minimum, maximum) in INT_BOUNDS.items():
            _check_int(self, name, minimum=minimum, maximum=maximum)
        if isinstance(self.lock_wait_seconds, bool) or not isinstance(self.lock_wait_seconds, (int, float)) or self.lock_wait_seconds < 0:
            raise ConfigError(f"lock_wait_seconds must be a number of seconds, 0 or more, got {self.lock_wait_seconds!r}")
        for name in FRACTIONS:
            _check_fraction(self, name)
        for name in ("normalize_punctuation", "learn_boilerplate"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        _check_encodings(self.encodings)
        _check_keep_policy(self.keep_policy)
        if self.follow_symlinks not in SYMLINK_POLICIES:
            raise ConfigError(
                f"follow_symlinks must be one of {', '.join(repr(p) for p in SYMLINK_POLICIES)}, got {self.follow_symlinks!r}"
            )
        if self.patterns_file is not None:
            if not isinstance(self.patterns_file, str) or not Path(self.patterns_file).is_file():
                raise ConfigError(
                    f"patterns_file {self.patterns_file!r} does not exist; give the path of a TOML "
                    "file laid out like pipeline/patterns.toml, or leave the option out"
                )
        # Absolute: workers (another process, another machine's Dask worker)
        # do not share the working folder the path was given in.
        if self.patterns_file is not None:
            object.__setattr__(self, "patterns_file", str(Path(self.patterns_file).resolve()))
        # Compiled now: a bad pattern must stop the run before any input is read.
        if self.patterns_file is not None or self.drop_pattern_layouts:
            self.patterns
        if self.lsh_bands is None:
            bands = optimal_bands(self.dedup_threshold, self.num_perm)
        else:
            _check_int(self, "lsh_bands", minimum=1, maximum=self.num_perm)
            bands = self.lsh_bands
            if self.num_perm % bands:
                divisors = [b for b in range(2, self.num_perm) if self.num_perm % b == 0]
                raise ConfigError(
                    f"lsh_bands={bands} does not divide num_perm={self.num_perm}; "
                    f"use one of {divisors} or leave lsh_bands unset"
                )
        object.__setattr__(self, "lsh_bands", bands)
        object.__setattr__(self, "lsh_rows", self.num_perm // bands)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> Config:
        """Build from plain values (TOML, JSON flow parameters), rejecting unknown keys.

        >>> Config.from_mapping({"dedup_threshold": 0.8}).dedup_threshold
        0.8
        >>> Config.from_mapping({"dedup_treshold": 0.8})
        Traceback (most recent call last):
        ...
        pipeline.errors.ConfigError: unknown option 'dedup_treshold' (did you mean 'dedup_threshold'?)
        """
        values = dict(values or {})
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        for key in values:
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f"; valid options: {', '.join(sorted(known))}"
                raise ConfigError(f"unknown option {key!r}{hint}")
        for key in ("encodings", "keep_policy", "drop_pattern_layouts"):
            if key in values:
                if isinstance(values[key], str) or not isinstance(values[key], (list, tuple)):
                    raise ConfigError(f"{key} must be a list of strings, got {values[key]!r}")
                values[key] = tuple(values[key])
        return cls(**values)

    @classmethod
    def from_toml(cls, path: str | Path) -> Config:
        path = Path(path)
        try:
            with path.open("rb") as handle:
                values = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError(f"config file {str(path)!r} does not exist") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"config file {str(path)!r} is not valid TOML: {error}") from None
        if isinstance(values.get("patterns_file"), str):
            # A relative patterns file is relative to the config that names it.
            values["patterns_file"] = str((path.parent / values["patterns_file"]).resolve())
        return cls.from_mapping(values)

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
    def minhash(self) -> MinHashSettings:
        """The MinHash settings of whole articles (cross-page dedup)."""
        return minhash_settings(self.num_perm, self.seed, self.cjk_ngram, self.word_ngram, self.lsh_bands)

    @property
    def paragraph_minhash(self) -> MinHashSettings:
        """The MinHash settings of one page's paragraphs (page dedup): fewer permutations, shorter n-grams."""
        return minhash_settings(PARAGRAPH_PERM, self.seed, self.block_ngram, self.word_ngram, PARAGRAPH_BANDS)

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


def _check_int(config: Config, name: str, *, minimum: int, maximum: int | None = None) -> None:
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ConfigError(f"{name} must be {bounds}, got {value}")


def _check_fraction(config: Config, name: str) -> None:
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be a number between 0 and 1 (e.g. 0.7), got {value!r}")


def _check_encodings(encodings: tuple[str, ...]) -> None:
    import codecs

    if not encodings:
        raise ConfigError("encodings must list at least one encoding, e.g. [\"gb18030\"]")
    for name in encodings:
        try:
            codecs.lookup(name)
        except (LookupError, TypeError):
            raise ConfigError(
                f"encodings: {name!r} is not an encoding Python knows; use names such as "
                "'gb18030', 'big5', 'shift_jis', 'cp1252'"
            ) from None


def _check_keep_policy(policy: tuple[str, ...]) -> None:
    for criterion in policy:
        if criterion not in KEEP_CRITERIA:
            raise ConfigError(
                f"keep_policy: unknown criterion {criterion!r}; choose from {', '.join(KEEP_CRITERIA)}"
            )
    if len(set(policy)) != len(policy):
        raise ConfigError(f"keep_policy lists a criterion twice: {list(policy)}")


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
