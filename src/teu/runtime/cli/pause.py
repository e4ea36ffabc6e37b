"""usage: teu-runtime pause ID

Freeze every process of a running container (the cgroup freezer).
"""

from __future__ import annotations

from teu.runtime.cli.main import Globals, need_id

FLAGS: dict = {}


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.lifecycle import pause

    pause(g.root, need_id(positional, "pause"))
    return 0
