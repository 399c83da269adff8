"""Plain text tables for pipes and files: aligned columns, one row a line, nothing to parse but text."""

from __future__ import annotations

from collections.abc import Sequence

from crisisctl.output.safetext import inert


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns separated by two spaces; the last column is not padded. Cells are made inert."""
    cells = [[inert(str(cell), keep_newlines=False) for cell in row] for row in rows]
    widths = [max([len(header), *(len(row[index]) for row in cells)]) for index, header in enumerate(headers)]
    lines = []
    for row in [list(headers), *cells]:
        padded = [cell.ljust(width) for cell, width in zip(row[:-1], widths[:-1], strict=True)]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return "\n".join(lines)
