"""The command line's arguments as the run uses them: options validated once, places checked before any work."""

from __future__ import annotations

import argparse
import tomllib
from typing import Any

from pipeline.core.config import Config, ConfigError
from pipeline.core.option_checks import problems_error, problems_of
from pipeline.core.options import parse_options
from pipeline.core.toml_files import read_config
from pipeline.store import remote
from pipeline.store.objects import check_scheme

__all__ = ["checked_place", "effective_config", "parse_setting"]


def parse_setting(text: str) -> tuple[str, Any]:
    """``key=value`` from the command line, the value read as TOML when it is one (else as text).

    >>> parse_setting("dedup_threshold=0.8"), parse_setting("encodings=['gb18030', 'big5']"), parse_setting("patterns_file=my.toml")
    (('dedup_threshold', 0.8), ('encodings', ['gb18030', 'big5']), ('patterns_file', 'my.toml'))
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {text!r}: write it as KEY=VALUE, e.g. --set dedup_threshold=0.8")
    try:
        return key.strip(), tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return key.strip(), value


def effective_config(args: argparse.Namespace) -> Config:
    """The config file, then ``--wait`` and every ``--set``, validated once: every bad key and value at once.

    The file's values are checked as written, with those of ``--set`` over them
    (a bad value in the file that ``--set`` replaces is no problem).
    """
    values = read_config(args.config) if args.config else {}
    if getattr(args, "wait", None) is not None:
        values["lock_wait_seconds"] = args.wait
    malformed = []
    for text in getattr(args, "set", None) or []:
        try:
            key, value = parse_setting(text)
        except ConfigError as error:
            malformed.append(str(error))
        else:
            values[key] = value
    try:
        config = parse_options(values)
    except ConfigError as error:
        raise problems_error(problems_of(error) + malformed) from None
    if malformed:
        raise problems_error(malformed)
    return config


def checked_place(place: str) -> str:
    """A --raw/--out value as the run will use it: a URL with its scheme in lower case, refused (exit 2) when
    docclean cannot use its scheme; a local path as it is."""
    if remote.is_url(place):
        check_scheme(place)
        return remote.normalized(place)
    return place
