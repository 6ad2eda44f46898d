"""The run configuration: one immutable object, validated once at the boundary.

Every option is described in `pipeline.core.option_descriptions`. A wrong value raises `ConfigError`
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
from pipeline.core.option_checks import (
    DEPENDS_ON,
    RUNNING_OPTIONS,
    _as_tuples,
    field_problems,
    problems_error,
    problems_of,
    unknown_option,
)
from pipeline.core.patterns import Patterns, load_patterns
from pipeline.core.toml_files import read_config
from pipeline.dedup.settings import DedupSettings, optimal_bands

__all__ = ["Config", "ConfigError", "patterns_digest"]


@dataclass(frozen=True)
class Config:
    """Options of one cleaning run (CLI ``--config`` TOML keys and flow ``options``).

    What each option does is said once, in
    `pipeline.core.option_descriptions`; what values it may take, in
    `pipeline.core.option_checks`. The README's Configuration table is made
    from both and from the defaults below.
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
        if not {"patterns_file", "drop_pattern_layouts"} & found.keys() and (
            self.patterns_file is not None or self.drop_pattern_layouts
        ):
            try:
                _ = self.patterns
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
        >>> Config.from_mapping({"dedup_treshold": 0.8, "seed": -1, "encodings": ["rot13"]})  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        pipeline.core.errors.ConfigError: 3 problems with the options: unknown option 'dedup_treshold' (did you mean
          'dedup_threshold'?); seed must be between 0 and 4294967295 (MinHash permutations are drawn from a 32-bit
          seed), got -1; encodings: 'rot13' is not a text encoding (it maps str to str); use codec names such as
          gb18030, big5, shift_jis, euc_kr, cp1252
        """
        values = dict(values or {})
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        problems = [unknown_option(key, known) for key in values if key not in known]
        values = {key: value for key, value in values.items() if key in known}
        found = field_problems(values)
        for messages in found.values():
            problems.extend(messages)
        if problems:
            # The good values still get the checks that span options, so that this is every problem.
            good = {
                key: value
                for key, value in values.items()
                if key not in found and not any(need in found for need in DEPENDS_ON.get(key, ()))
            }
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
        return DedupSettings(
            threshold=self.dedup_threshold,
            num_perm=self.num_perm,
            seed=self.seed,
            cjk_ngram=self.cjk_ngram,
            word_ngram=self.word_ngram,
            block_ngram=self.block_ngram,
            lsh_bands=self.lsh_bands,
        )

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
