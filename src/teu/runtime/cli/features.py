"""usage: teu-runtime features

Print what this runtime supports, in the runtime spec's features format (JSON).
"""

from __future__ import annotations

import json

from teu.runtime.cli.main import Globals

FLAGS: dict = {}


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.features import features

    print(json.dumps(features(), indent=4))
    return 0
