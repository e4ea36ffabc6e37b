"""usage: teu-runtime spec [--bundle DIR] [--rootless]

Write a default config.json into the bundle directory (the current one by default).
"""

from __future__ import annotations

import json
import os

from teu.errors import TeuError
from teu.runtime.cli.main import Globals

FLAGS = {"bundle": (True, False), "rootless": (False, False)}
ALIASES = {"b": "bundle"}


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.spec import default_spec

    path = os.path.join(flags.get("bundle", "."), "config.json")
    if os.path.exists(path):
        raise TeuError(f"File {path} exists. Remove it first")
    with open(path, "w") as f:
        json.dump(default_spec(rootless=bool(flags.get("rootless"))), f, indent="\t")
        f.write("\n")
    return 0
