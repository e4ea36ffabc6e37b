"""usage: teu-runtime run [--bundle DIR] [--detach] [--console-socket PATH] [--pid-file PATH]
                       [--no-pivot] [--no-new-keyring] [--preserve-fds N] [--keep] ID

Create and start a container. Without --detach, wait for it, pass signals on,
delete it afterwards (unless --keep) and exit with its exit code.
"""

from __future__ import annotations

from teu.runtime.cli import create as create_cli
from teu.runtime.cli.main import Globals, need_id

FLAGS = {**create_cli.FLAGS, "detach": (False, False), "keep": (False, False),
         "no-subreaper": (False, False)}
ALIASES = {"b": "bundle", "d": "detach"}


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.run import run as run_container

    return run_container(g.root, need_id(positional, "run"), create_cli.options(g, flags),
                         detach=bool(flags.get("detach")), keep=bool(flags.get("keep")),
                         subreaper=not flags.get("no-subreaper"))
