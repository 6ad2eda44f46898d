"""The one plain-text table printer of the benchmarks and the gallery: first column left, the others right."""

from __future__ import annotations

from typing import Any, Callable, Sequence


def number(value: Any, digits: int = 3) -> str:
    """A cell as text: floats to ``digits`` places.

    >>> number(0.12345), number(7), number("x", 4)
    ('0.123', '7', 'x')
    """
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def text_table(
    head: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    cell: Callable[[Any], str] = number,
    indent: str = "",
    total: bool = False,
) -> str:
    """``rows`` under ``head``, columns as wide as their widest cell; with ``total``, a rule above the last row.

    >>> print(text_table(["layout", "pages"], [["a", 1], ["overall", 12]], total=True))
    layout   pages
    a            1
    --------------
    overall     12
    """
    cells = [[cell(value) for value in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(head)]

    def line(values: Sequence[str]) -> str:
        return indent + "  ".join(
            str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(values, widths))
        )

    lines = [line(row) for row in cells]
    if total and lines:
        lines[-1:] = ["-" * len(line([str(h) for h in head])), lines[-1]]
    return "\n".join([line([str(h) for h in head]), *lines])
