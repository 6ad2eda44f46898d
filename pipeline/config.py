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
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import xxhash

from pipeline.errors import ConfigError
from pipeline.patterns import Patterns, load_patterns
from pipeline.signature import MinHashSettings, minhash_settings

__all__ = ["Config", "ConfigError", "FRACTIONS", "INT_BOUNDS", "RUNNING_OPTIONS", "KEEP_CRITERIA", "SYMLINK_POLICIES",
           "MAX_CONFIG_BYTES", "SEED_MAX", "field_problems", "optimal_bands", "problems_error", "problems_of", "read_config",
           "read_toml_file"]

# MinHash permutations are drawn from numpy's RandomState of the seed
# (`pipeline.signature.permutations`, as datasketch draws them), which takes
# 32-bit seeds only: a larger one would fail every record at signing.
SEED_MAX = 2**32 - 1
# Why a bound is what it is, where the bare numbers do not say it.
BOUND_REASONS = {"seed": "MinHash permutations are drawn from a 32-bit seed"}
# A config or patterns file is a few lines of TOML: anything larger is the wrong file.
MAX_CONFIG_BYTES = 1 << 20
# Suggested in the messages about encodings.
ENCODING_EXAMPLES = "gb18030, big5, shift_jis, euc_kr, cp1252"
# Options whose check needs another option to be valid first.
DEPENDS_ON = {"lsh_bands": ("num_perm",)}
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
    "seed": (0, SEED_MAX),
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
        pipeline.errors.ConfigError: unknown option 'dedup_treshold' (did you mean 'dedup_threshold'?)
        >>> Config.from_mapping({"dedup_treshold": 0.8, "seed": -1, "encodings": ["rot13"]})
        Traceback (most recent call last):
        ...
        pipeline.errors.ConfigError: 3 problems with the options: unknown option 'dedup_treshold' (did you mean 'dedup_threshold'?); seed must be between 0 and 4294967295 (MinHash permutations are drawn from a 32-bit seed), got -1; encodings: 'rot13' is not a text encoding (it maps str to str); use codec names such as gb18030, big5, shift_jis, euc_kr, cp1252
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


def problems_error(problems: list[str]) -> ConfigError:
    """One `ConfigError` for every problem found, on one line; ``problems`` stays on it for whoever adds more."""
    message = problems[0] if len(problems) == 1 else f"{len(problems)} problems with the options: " + "; ".join(problems)
    error = ConfigError(message)
    error.problems = list(problems)  # type: ignore[attr-defined]
    return error


def problems_of(error: ConfigError) -> list[str]:
    """The problems a `ConfigError` stands for (one, unless `problems_error` made it)."""
    return list(getattr(error, "problems", None) or [str(error)])


def unknown_option(key: str, known: Any) -> str:
    close = difflib.get_close_matches(str(key), sorted(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f"; valid options: {', '.join(sorted(known))}"
    return f"unknown option {key!r}{hint}"


def _as_tuples(values: dict[str, Any]) -> dict[str, Any]:
    return {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}


def _int_problems(name: str) -> Callable[[Any], list[str]]:
    minimum, maximum = INT_BOUNDS[name]

    def check(value: Any) -> list[str]:
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{name} must be a whole number, got {value!r}"]
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            why = f" ({BOUND_REASONS[name]})" if name in BOUND_REASONS else ""
            return [f"{name} must be {bounds}{why}, got {value}"]
        return []

    return check


def _fraction_problems(name: str) -> Callable[[Any], list[str]]:
    def check(value: Any) -> list[str]:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            return [f"{name} must be a number between 0 and 1 (e.g. 0.7), got {value!r}"]
        return []

    return check


def _bool_problems(name: str) -> Callable[[Any], list[str]]:
    def check(value: Any) -> list[str]:
        return [] if isinstance(value, bool) else [f"{name} must be true or false, got {value!r}"]

    return check


def _string_list(name: str, value: Any) -> list[str]:
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return []
    return [f"{name} must be a list of strings, got {value!r}"]


def _encodings_problems(encodings: Any) -> list[str]:
    if _string_list("encodings", encodings):
        return _string_list("encodings", encodings)
    if not encodings:
        return [f"encodings must list at least one encoding, e.g. [\"gb18030\"]; codec names such as {ENCODING_EXAMPLES}"]
    bad = [problem for name in encodings if (problem := encoding_problem(name))]
    return [f"encodings: {', '.join(bad)}; use codec names such as {ENCODING_EXAMPLES}"] if bad else []


def encoding_problem(name: str) -> str | None:
    """Why ``name`` cannot be one of ``encodings`` (None: it is a text codec that decodes bytes to str).

    The decoding stage calls ``bytes.decode(name)``: a codec Python does not
    know, one that maps str to str (rot13) or bytes to bytes (base64, hex,
    zlib), or one that refuses every input (undefined) would fail every page
    that is not UTF-8.

    >>> encoding_problem("GB18030") is None, encoding_problem("utf_16") is None
    (True, True)
    >>> encoding_problem("rot13"), encoding_problem("base64")
    ("'rot13' is not a text encoding (it maps str to str)", "'base64' is not a text encoding (it maps bytes to bytes)")
    >>> encoding_problem("undefined"), encoding_problem("klingon")
    ("'undefined' decodes nothing (every use of it fails)", "'klingon' is not an encoding Python knows")
    """
    import codecs

    try:
        info = codecs.lookup(name)
    except (LookupError, TypeError, ValueError):
        return f"{name!r} is not an encoding Python knows"
    if not getattr(info, "_is_text_encoding", True):
        try:
            made = info.decode(b"")[0]
            shape = "bytes to bytes" if isinstance(made, bytes) else "something other than text"
        except TypeError:
            shape = "str to str"
        except Exception:  # noqa: BLE001 - zlib, uu: bytes codecs that want their own framing
            shape = "bytes to bytes"
        return f"{name!r} is not a text encoding (it maps {shape})"
    try:
        made = info.decode(b"")[0]
    except Exception:  # noqa: BLE001 - a codec that cannot decode even nothing decodes no page
        return f"{name!r} decodes nothing (every use of it fails)"
    if not isinstance(made, str):
        return f"{name!r} is not a text encoding (it does not decode bytes to str)"
    return None


def _keep_policy_problems(policy: Any) -> list[str]:
    if _string_list("keep_policy", policy):
        return _string_list("keep_policy", policy)
    problems = [f"keep_policy: unknown criterion {criterion!r}; choose from {', '.join(KEEP_CRITERIA)}"
                for criterion in policy if criterion not in KEEP_CRITERIA]
    if len(set(policy)) != len(policy):
        problems.append(f"keep_policy lists a criterion twice: {list(policy)}")
    return problems


def _symlink_problems(value: Any) -> list[str]:
    if value in SYMLINK_POLICIES:
        return []
    return [f"follow_symlinks must be one of {', '.join(repr(p) for p in SYMLINK_POLICIES)}, got {value!r}"]


def _patterns_file_problems(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str):
        return [f"patterns_file must be the path of a TOML file, got {value!r}"]
    try:
        read_toml_file(value, "patterns_file")
    except FileNotFoundError:
        return [f"patterns_file {value!r} does not exist; give the path of a TOML file laid out like "
                "pipeline/patterns.toml, or leave the option out"]
    except ConfigError as error:
        return [str(error)]
    return []


def _lock_wait_problems(value: Any) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        return [f"lock_wait_seconds must be a number of seconds, 0 or more, got {value!r}"]
    return []


def _lsh_bands_problems(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return [f"lsh_bands must be a whole number that divides num_perm (or unset), got {value!r}"]
    return []


# The check of each option on its own, in the order of `Config`'s fields.
FIELD_CHECKS: dict[str, Callable[[Any], list[str]]] = {
    "max_file_bytes": _int_problems("max_file_bytes"),
    "encodings": _encodings_problems,
    "max_unrecoverable_ratio": _fraction_problems("max_unrecoverable_ratio"),
    "follow_symlinks": _symlink_problems,
    "normalize_punctuation": _bool_problems("normalize_punctuation"),
    "patterns_file": _patterns_file_problems,
    "drop_pattern_layouts": lambda value: _string_list("drop_pattern_layouts", value),
    "min_chars": _int_problems("min_chars"),
    "learn_boilerplate": _bool_problems("learn_boilerplate"),
    "boilerplate_min_pages": _int_problems("boilerplate_min_pages"),
    "block_threshold": _fraction_problems("block_threshold"),
    "min_repeat_chars": _int_problems("min_repeat_chars"),
    "block_ngram": _int_problems("block_ngram"),
    "dedup_threshold": _fraction_problems("dedup_threshold"),
    "num_perm": _int_problems("num_perm"),
    "seed": _int_problems("seed"),
    "cjk_ngram": _int_problems("cjk_ngram"),
    "word_ngram": _int_problems("word_ngram"),
    "lsh_bands": _lsh_bands_problems,
    "keep_policy": _keep_policy_problems,
    "batch_size": _int_problems("batch_size"),
    "workers": _int_problems("workers"),
    "lock_wait_seconds": _lock_wait_problems,
}


def field_problems(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """What is wrong with each option of ``values`` on its own, by key (only the bad ones; unknown keys are not looked at).

    >>> field_problems({"seed": 4294967296, "workers": 2, "encodings": ["gb18030", "hex"]})  # doctest: +NORMALIZE_WHITESPACE
    {'seed': ['seed must be between 0 and 4294967295 (MinHash permutations are drawn from a 32-bit seed), got 4294967296'],
     'encodings': ["encodings: 'hex' is not a text encoding (it maps bytes to bytes); use codec names such as gb18030, big5, shift_jis, euc_kr, cp1252"]}
    >>> field_problems({"encodings": ["rot13", "big5", "undefined"]})["encodings"]  # doctest: +NORMALIZE_WHITESPACE
    ["encodings: 'rot13' is not a text encoding (it maps str to str), 'undefined' decodes nothing (every use of it fails);
      use codec names such as gb18030, big5, shift_jis, euc_kr, cp1252"]
    """
    found = {}
    for name, value in values.items():
        if name in FIELD_CHECKS and (problems := FIELD_CHECKS[name](value)):
            found[name] = problems
    return found


def _special_kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words (None for a regular file)."""
    for test, words in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return words
    return None if stat.S_ISREG(mode) else "not a regular file"


def read_toml_file(path: str | Path, what: str = "config file", limit: int = MAX_CONFIG_BYTES) -> dict[str, Any]:
    """The table of a small TOML file; `ConfigError` (`FileNotFoundError` when there is none) for anything else.

    Only a regular file is opened, without blocking, and at most ``limit``
    bytes are read: a folder, a FIFO (whose open would wait for a writer) or a
    device (``/dev/zero`` never ends) is refused without being read, and so is
    a file too large to be a config. The bytes must be UTF-8 TOML.
    """
    shown = repr(str(path))
    advice = "give the path of a TOML file"
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(f"{what} {shown} does not exist") from None
    except OSError as error:
        raise ConfigError(f"cannot read {what} {shown}: {error.strerror or error}") from None
    if (kind := _special_kind(info.st_mode)) is not None:
        raise ConfigError(f"{what} {shown} is {kind}, not a file; {advice}")
    too_large = f"{what} {shown} is larger than {limit:,} bytes; a config is a few lines of TOML: {advice}"
    if info.st_size > limit:
        raise ConfigError(too_large)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise ConfigError(f"cannot read {what} {shown}: {error.strerror or error}") from None
    try:
        # The path may have been swapped for something else since the stat.
        if (kind := _special_kind(os.fstat(fd).st_mode)) is not None:
            raise ConfigError(f"{what} {shown} is {kind}, not a file; {advice}")
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise ConfigError(f"cannot read {what} {shown}: {error.strerror or error}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise ConfigError(too_large)
    if b"\x00" in data:
        raise ConfigError(f"{what} {shown} is a binary file (it holds NUL bytes), not TOML text; {advice}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{what} {shown} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start:,}): "
                          f"a binary file? {advice} in UTF-8") from None
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{what} {shown} is not valid TOML: {error}") from None


def read_config(path: str | Path) -> dict[str, Any]:
    """The option values of a ``--config`` TOML file, as written (checked by `Config.from_mapping` or `parse_options`).

    A relative ``patterns_file`` is made relative to the config file's folder.
    """
    try:
        values = read_toml_file(path)
    except FileNotFoundError as error:
        raise ConfigError(str(error)) from None
    if isinstance(values.get("patterns_file"), str):
        values["patterns_file"] = str((Path(path).parent / values["patterns_file"]).resolve())
    return values


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
