"""usage: teu-runtime create [--bundle DIR] [--console-socket PATH] [--pid-file PATH]
                          [--no-pivot] [--no-new-keyring] [--preserve-fds N] ID

Create a container from the bundle; its process starts with `teu-runtime start ID`.
"""

from __future__ import annotations

from teu.runtime.cli.main import Globals, UsageError, need_id

FLAGS = {"bundle": (True, False), "console-socket": (True, False), "pid-file": (True, False),
         "no-pivot": (False, False), "no-new-keyring": (False, False),
         "preserve-fds": (True, False)}
ALIASES = {"b": "bundle"}


def options(g: Globals, flags: dict):  # noqa: ANN201
    from teu.runtime.create import CreateOptions

    try:
        preserve = int(flags.get("preserve-fds", 0))
    except ValueError:
        raise UsageError(f"--preserve-fds {flags['preserve-fds']!r}: not a number") from None
    return CreateOptions(bundle=flags.get("bundle", "."), pid_file=flags.get("pid-file"),
                         console_socket=flags.get("console-socket"),
                         no_pivot=bool(flags.get("no-pivot")),
                         no_new_keyring=bool(flags.get("no-new-keyring")),
                         preserve_fds=preserve, systemd_cgroup=g.systemd_cgroup)


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.create import create

    create(g.root, need_id(positional, "create"), options(g, flags))
    return 0
