"""Docker's table output: Go's tabwriter with minwidth 10, padding 3, and --format."""

from __future__ import annotations

from typing import Any

from teu.cli._template import Template, split_table


def tabwrite(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    ncol = max(len(r) for r in rows)
    widths = [0] * ncol
    for r in rows:
        for i, cell in enumerate(r[:-1]):
            widths[i] = max(widths[i], len(cell))
    out = []
    for r in rows:
        cells = [cell.ljust(max(widths[i] + 3, 10)) if i < len(r) - 1 else cell
                 for i, cell in enumerate(r)]
        out.append("".join(cells).rstrip() + "\n")
    return "".join(out)


def render(fmt: str | None, default: str, headers: dict[str, str],
           items: list[dict[str, Any]]) -> str:
    """Rows for `items` with a Go template (docker's `table` prefix gives a header)."""
    table, body = split_table(fmt or default)
    if fmt is None:
        table = True
    t = Template(body)
    if not table:
        return "".join(t.render(item) + "\n" for item in items)
    head = Template(body).render({k: v for k, v in headers.items()})
    rows = [head.split("\t")] + [t.render(item).split("\t") for item in items]
    return tabwrite(rows)
