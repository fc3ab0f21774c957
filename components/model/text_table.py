"""The one text table of the project's command lines (plan, jobctl, bench): plain strings in, plain text out,
so jobctl can print it without loading anything else of the program."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], rule: bool = False) -> str:
    """Columns padded to their widest cell, two spaces apart, no trailing spaces; `rule` draws dashes under
    the headers. Every row has as many cells as `headers` (ValueError otherwise)."""
    lines = [list(map(str, headers)), *(list(map(str, row)) for row in rows)]
    widths = [max(len(cell) for cell in column) for column in zip(*lines, strict=True)]
    if rule:
        lines.insert(1, ["-" * width for width in widths])
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)
