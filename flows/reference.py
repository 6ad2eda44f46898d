"""The README's command-line reference, made from the parser itself, so that it cannot drift from the code.

python -m flows.reference README.md
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from flows.cli import build_parser

_README_MARK = re.compile(r"(<!-- cli -->\n).*?(\n<!-- /cli -->)", re.DOTALL)


def _flags(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.dest.upper()}`"
    names = ", ".join(action.option_strings)
    if action.nargs == 0:
        return f"`{names}`"
    return f"`{names} {action.metavar or action.dest.upper()}`"


def cli_reference(parser: argparse.ArgumentParser | None = None) -> str:
    """Every command with its arguments and flags, as Markdown tables.

    >>> "| `docclean run` |" in cli_reference() and "`--dry-run`" in cli_reference()
    True
    """
    parser = parser or build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in commands._choices_actions}
    lines = ["| command | argument or flag | what it does |", "|---|---|---|"]
    for name, sub in commands.choices.items():
        lines.append(f"| `docclean {name}` | | {helps.get(name, '')} |")
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            text = (action.help or "").replace("|", "\\|")
            lines.append(f"| | {_flags(action)} | {text} |")
    return "\n".join(lines)


def readme_cli(readme: str) -> str:
    """``readme`` with its ``<!-- cli -->`` block made from the parser."""
    return _README_MARK.sub(lambda m: m.group(1) + cli_reference() + m.group(2), readme)


if __name__ == "__main__":
    path = Path(sys.argv[1])
    path.write_text(readme_cli(path.read_text(encoding="utf-8")), encoding="utf-8")
