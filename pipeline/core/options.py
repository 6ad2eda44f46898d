"""The options of a run as a typed model: the flow's ``options`` parameter.

Prefect builds its run form from this model (a field per option, with its
description, default and bounds) and checks a deployment run's parameters
against it when the run is created, so ``dedup_threshold: -0.5`` is refused
before any worker starts. Every error is reported at once. The model then
becomes a `pipeline.core.config.Config`, which checks what spans fields (bands that
divide ``num_perm``, a patterns file that compiles). `parse_options` (the CLI
and the flow) reports every problem, of every option, at once, in
`pipeline.core.config`'s words where it has them (each says how to fix it).
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal, Optional

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from pipeline.core.config import Config, ConfigError
from pipeline.core.option_checks import (
    DEPENDS_ON,
    FIELD_CHECKS,
    FRACTIONS,
    INT_BOUNDS,
    KEEP_CRITERIA,
    field_problems,
    problems_error,
    problems_of,
)
from pipeline.core.option_descriptions import DESCRIPTIONS, GROUPS

# `parse_options` validates the fields alone, then builds the config itself (to get every problem, not the first).
_FIELDS_ONLY = {"docclean_fields_only": True}

_TYPES: dict[str, Any] = {
    "encodings": list[str],
    "drop_pattern_layouts": list[str],
    "keep_policy": list[Literal[KEEP_CRITERIA]],  # type: ignore[valid-type]
    "follow_symlinks": Literal["inside", "all"],
    "patterns_file": Optional[str],
    "lsh_bands": Optional[int],
}


def _fields() -> dict[str, Any]:
    defaults = Config().to_mapping()
    defaults["lsh_bands"] = None
    fields: dict[str, Any] = {}
    for name, default in defaults.items():
        kind = _TYPES.get(name) or type(default)
        bounds: dict[str, Any] = {}
        if name in INT_BOUNDS:
            low, high = INT_BOUNDS[name]
            bounds = {"ge": low} | ({"le": high} if high is not None else {})
        elif name in FRACTIONS:
            bounds = {"ge": 0.0, "le": 1.0}
        elif name == "lock_wait_seconds":
            bounds = {"ge": 0.0}
        fields[name] = (kind, Field(default, description=DESCRIPTIONS[name], **bounds))
    return fields


class _Base(BaseModel):
    # Strict: `workers = true` or `learn_boilerplate = "off"` is a mistake to report, not to coerce.
    model_config = ConfigDict(extra="forbid", strict=True, title="docclean options")

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, values: Any) -> Any:
        # Pydantic says "Extra inputs are not permitted"; a typo deserves its correction.
        if isinstance(values, dict):
            unknown = [key for key in values if key not in cls.model_fields]
            if unknown:
                raise ValueError("; ".join(unknown_option(key) for key in unknown))
        return values

    @field_validator("encodings", "keep_policy", "patterns_file", mode="after", check_fields=False)
    @classmethod
    def _as_config_checks(cls, value: Any, info: ValidationInfo) -> Any:
        # What the types and bounds above do not say: a text codec, a criterion once, a patterns file that is a file.
        problems = FIELD_CHECKS[info.field_name](value)
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _whole(self, info: ValidationInfo) -> "_Base":
        # The checks that span options (bands dividing num_perm, a patterns file that compiles).
        if info.context and info.context.get("docclean_fields_only"):
            return self
        try:
            self.config()
        except ConfigError as error:
            raise ValueError(str(error)) from None
        return self

    def config(self) -> Config:
        return Config.from_mapping(self.model_dump(exclude_unset=True))


Options = create_model("Options", __base__=_Base, **_fields())
Options.__doc__ = "Options of one cleaning run: the keys of a --config TOML file."


def parse_options(values: dict[str, Any] | BaseModel | None) -> Config:
    """A `Config` from the flow's ``options``, every error at once, each with how to fix it.

    >>> parse_options({"dedup_threshold": 0.8}).dedup_threshold
    0.8
    >>> parse_options({"dedup_threshold": -0.5, "workers": 5000})  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    pipeline.core.errors.ConfigError: 2 problems with the options: dedup_threshold must be a number between 0 and
      1 (e.g. 0.7), got -0.5; workers must be between 0 and 256, got 5000
    >>> parse_options({"dedup_treshold": 1})
    Traceback (most recent call last):
    ...
    pipeline.core.errors.ConfigError: unknown option 'dedup_treshold' (did you mean 'dedup_threshold'?)
    >>> bad = {"workers": 5000, "encodings": ["gb18030", "rot13"], "drop_pattern_layouts": [3], "num_perm": 8, "lsh_bands": 3}
    >>> parse_options(bad)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    pipeline.core.errors.ConfigError: 4 problems with the options: workers must be between 0 and 256, got 5000;
      encodings: 'rot13' is not a text encoding (it maps str to str); use codec names such as gb18030, big5,
      shift_jis, euc_kr, cp1252; drop_pattern_layouts must be a list of strings, got [3]; num_perm must be between
      16 and 1024, got 8
    """
    if isinstance(values, BaseModel):
        values = values.model_dump(exclude_unset=True)
    values = dict(values or {})
    # Unknown keys are set aside so that the known ones are checked too: every error at once.
    known = {key: value for key, value in values.items() if key in Options.model_fields}
    found: dict[str, list[str]] = {key: [unknown_option(key)] for key in values if key not in Options.model_fields}
    # Each option on its own, in the words of `pipeline.core.config` (they say how to fix it), then
    # whatever the strict types find besides (a number given as a string, a list of numbers).
    found |= field_problems(known)
    model = None
    try:
        model = Options.model_validate(known, context=_FIELDS_ONLY)
    except ValidationError as error:
        for key, message in _field_errors(error):
            if key not in known or key not in field_problems({key: known[key]}):
                found.setdefault(key, []).append(message)
    if not found and model is not None:
        try:
            return model.config()
        except ConfigError as error:
            raise problems_error(problems_of(error)) from None
    problems = [message for key in values for message in found.get(key, [])]
    problems += [message for key, messages in found.items() if key not in values for message in messages]
    # The checks that span options, over the good ones (bands that divide num_perm, patterns that compile).
    good = {
        key: value
        for key, value in known.items()
        if key not in found and not any(need in found for need in DEPENDS_ON.get(key, ()))
    }
    try:
        Config.from_mapping(good)
    except ConfigError as error:
        problems += [problem for problem in problems_of(error) if problem not in problems]
    raise problems_error(problems)


def unknown_option(key: str) -> str:
    close = difflib.get_close_matches(key, sorted(Options.model_fields), n=1)
    return f"unknown option {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def describe_errors(error: ValidationError) -> list[str]:
    return [message for _, message in _field_errors(error)]


def _field_errors(error: ValidationError) -> list[tuple[str, str]]:
    """(option, message) for each error pydantic found ('' for the errors of the whole)."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        # (Unknown keys never get here: `_known_keys` and `parse_options` name them first.)
        if not where:
            problems.append(("", item["msg"].removeprefix("Value error, ")))
        else:
            problems.append((str(item["loc"][0]), f"{where}: {item['msg']} (got {item['input']!r})"))
    return problems


def default_shown(name: str, value: Any) -> str:
    """An option's default as the README shows it (TOML-like).

    >>> default_shown("encodings", ("gb18030", "big5")), default_shown("keep_policy", ("longest",)), default_shown("lsh_bands", 16)
    ('gb18030, big5', '["longest"]', 'derived')
    """
    if name == "lsh_bands":
        return "derived"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if name == "encodings":
        return ", ".join(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{item}"' for item in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and value.is_integer() and name not in FRACTIONS:
        return str(int(value))
    return str(value)


def bounds_shown(name: str) -> str:
    """An option's bounds in words, from `pipeline.core.option_checks` ('' when none apply)."""
    if name in INT_BOUNDS:
        low, high = INT_BOUNDS[name]
        return f"{low:,} to {high:,}" if high is not None else f"at least {low:,}"
    if name in FRACTIONS:
        return "0 to 1"
    return ""


def options_table() -> str:
    """The README's Configuration table: every option, its default, bounds and description, group by group."""
    defaults = Config().to_mapping()
    lines = ["| key | default | bounds | meaning |", "|---|---|---|---|"]
    for heading, options in GROUPS:
        lines.append(f"| **{heading}** | | | |")
        for name, text in options.items():
            lines.append(f"| `{name}` | {default_shown(name, defaults.get(name))} | {bounds_shown(name)} | {text} |")
    return "\n".join(lines)


_README_MARK = re.compile(r"(<!-- options -->\n).*?(\n<!-- /options -->)", re.DOTALL)


def readme_options(readme: str) -> str:
    """``readme`` with its ``<!-- options -->`` block made from the options' one description."""
    return _README_MARK.sub(lambda m: m.group(1) + options_table() + m.group(2), readme)


if __name__ == "__main__":
    # Refresh the README's Configuration table: python -m pipeline.core.options README.md
    import sys
    from pathlib import Path

    path = Path(sys.argv[1])
    path.write_text(readme_options(path.read_text(encoding="utf-8")), encoding="utf-8")
