"""Errors a user can act on: each message says what is wrong and how to fix it."""


class ConfigError(ValueError):
    """A configuration value that cannot work; the message says how to fix it."""
