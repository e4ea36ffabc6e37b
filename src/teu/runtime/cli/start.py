"""usage: teu-runtime start ID

Start the user-defined process of a created container.
"""

from __future__ import annotations

from teu.runtime.cli.main import Globals, need_id

FLAGS: dict = {}


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.lifecycle import start

    start(g.root, need_id(positional, "start"))
    return 0
