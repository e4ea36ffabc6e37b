"""usage: teu-runtime resume ID

Thaw a paused container.
"""

from __future__ import annotations

from teu.runtime.cli.main import Globals, need_id

FLAGS: dict = {}


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.lifecycle import resume

    resume(g.root, need_id(positional, "resume"))
    return 0
