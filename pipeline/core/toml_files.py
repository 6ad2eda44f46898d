"""Small TOML files (``--config``, ``patterns_file``), read without trusting what the path names.

A FIFO would block the read forever, ``/dev/zero`` would fill memory, a
folder or a binary file would fail with a traceback: only a regular file of
at most `MAX_CONFIG_BYTES` of UTF-8 is read, and anything else is a
`ConfigError` that says what the path is.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError

__all__ = ["MAX_CONFIG_BYTES", "read_config", "read_toml_file"]

# A config or patterns file is a few lines of TOML: anything larger is the wrong file.
MAX_CONFIG_BYTES = 1 << 20


def _special_kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words (None for a regular file)."""
    for test, words in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
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
        raise ConfigError(
            f"{what} {shown} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start:,}): "
            f"a binary file? {advice} in UTF-8"
        ) from None
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
