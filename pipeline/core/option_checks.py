"""What each option may be, and the check of each one on its own, with messages that say how to fix it.

The bounds and choices are tables (`INT_BOUNDS`, `FRACTIONS`, ...), shared by
`pipeline.core.config.Config` (which adds the checks that span options) and
the flow's typed parameters (`pipeline.core.options`). Every check returns
its problems rather than raising, so that a run refused for its options
names all of them at once.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable, Mapping

from pipeline.core.errors import ConfigError
from pipeline.core.toml_files import read_toml_file

__all__ = [
    "BOUND_REASONS",
    "DEPENDS_ON",
    "ENCODING_EXAMPLES",
    "FIELD_CHECKS",
    "FRACTIONS",
    "INT_BOUNDS",
    "KEEP_CRITERIA",
    "RUNNING_OPTIONS",
    "SEED_MAX",
    "SYMLINK_POLICIES",
    "encoding_problem",
    "field_problems",
    "problems_error",
    "problems_of",
    "unknown_option",
]

# MinHash permutations are drawn from numpy's RandomState of the seed
# (`pipeline.dedup.signature.permutations`, as datasketch draws them), which takes
# 32-bit seeds only: a larger one would fail every record at signing.
SEED_MAX = 2**32 - 1
# Why a bound is what it is, where the bare numbers do not say it.
BOUND_REASONS = {"seed": "MinHash permutations are drawn from a 32-bit seed"}
# Suggested in the messages about encodings.
ENCODING_EXAMPLES = "gb18030, big5, shift_jis, euc_kr, cp1252"
# Options whose check needs another option to be valid first.
DEPENDS_ON = {"lsh_bands": ("num_perm",)}
# Options that change how a run goes, not what it writes.
RUNNING_OPTIONS = ("batch_size", "workers", "lock_wait_seconds")
# Bounds of the whole-number options, (minimum, maximum or None); the flow's
# typed parameters (`pipeline.core.options`) show the same bounds in the UI.
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


def problems_error(problems: list[str]) -> ConfigError:
    """One `ConfigError` for every problem found, on one line; ``problems`` stays on it for whoever adds more."""
    message = (
        problems[0] if len(problems) == 1 else f"{len(problems)} problems with the options: " + "; ".join(problems)
    )
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
        return [f'encodings must list at least one encoding, e.g. ["gb18030"]; codec names such as {ENCODING_EXAMPLES}']
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
    problems = [
        f"keep_policy: unknown criterion {criterion!r}; choose from {', '.join(KEEP_CRITERIA)}"
        for criterion in policy
        if criterion not in KEEP_CRITERIA
    ]
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
        return [
            f"patterns_file {value!r} does not exist; give the path of a TOML file laid out like "
            "pipeline/core/patterns.toml, or leave the option out"
        ]
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
