"""The one error teu.compose raises: a bad Compose file or project, in one line."""

from __future__ import annotations

from teu.errors import TeuError


class ComposeError(TeuError):
    """An invalid Compose file or project. Named like docker compose's messages:
    the file, and where known the line and the key path. Exit code 1, as docker
    compose's for an invalid project."""

    exit_code = 1
    bare = True


def where(file: str, line: int | None = None, key: str = "") -> str:
    """`file:line: key` prefix for a message (any part may be missing)."""
    text = file
    if line:
        text += f":{line}"
    if key:
        text += f": {key}"
    return text
