"""usage: teu-runtime state ID

Print the state of a container as the OCI runtime spec defines it (JSON).
"""

from __future__ import annotations

import json

from teu.runtime.cli.main import Globals, need_id

FLAGS: dict = {}


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.lifecycle import spec_state

    print(json.dumps(spec_state(g.root, need_id(positional, "state")), indent=2))
    return 0
