"""usage: teu-runtime delete [--force] ID

Delete a stopped container: its cgroup and state, running the poststop hooks.
--force kills a running container first.
"""

from __future__ import annotations

from teu.runtime.cli.main import Globals, need_id

FLAGS = {"force": (False, False)}
ALIASES = {"f": "force"}


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.lifecycle import delete

    delete(g.root, need_id(positional, "delete"), force=bool(flags.get("force")))
    return 0
