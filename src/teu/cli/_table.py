"""Docker's list output: rows through --format (teu.cli.formatting), Go's tabwriter."""

from __future__ import annotations

from typing import Any

from teu.cli.formatting import context, tabwrite

__all__ = ["render", "tabwrite"]


def render(fmt: str | None, default: str, headers: dict[str, str], items: list[Any],
           type_name: str = "*formatter.Context") -> str:
    """Rows for `items` with a Go template (docker's `table` prefix gives a header,
    `json` one object per line). Plain dicts become docker formatter contexts (Go
    structs named `type_name`: a missing field is an error)."""
    from teu.cli.formatting import render as format_rows

    rows = [context(type_name, item) if isinstance(item, dict) else item for item in items]
    return format_rows(fmt, default, headers, rows)


def rows_text(rows: list[list[str]]) -> str:
    return tabwrite("".join("\t".join(r) + "\n" for r in rows))
