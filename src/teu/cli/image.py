"""`teu image COMMAND`: ls, inspect, rm, prune, tag, history, pull, push, save, load, import."""

from __future__ import annotations

import importlib
import sys

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, LIST, STR, Flag
from teu.errors import TeuError

# subcommand -> (module, main's prog name); inspect and prune live here.
SUB = {
    "ls": "teu.cli.images", "list": "teu.cli.images",
    "rm": "teu.cli.rmi", "remove": "teu.cli.rmi",
    "tag": "teu.cli.tag", "history": "teu.cli.history", "pull": "teu.cli.pull",
    "push": "teu.cli.push", "save": "teu.cli.save", "load": "teu.cli.load",
    "import": "teu.cli.import_", "build": "teu.cli.build",
}
USAGE = """
Usage:  teu image COMMAND

Manage images

Commands:
  build       Build an image from a Dockerfile
  history     Show the history of an image
  import      Import the contents from a tarball to create a filesystem image
  inspect     Display detailed information on one or more images
  load        Load an image from a tar archive or STDIN
  ls          List images
  prune       Remove unused images
  pull        Pull an image or a repository from a registry
  push        Push an image or a repository to a registry
  rm          Remove one or more images
  save        Save one or more images to a tar archive (streamed to STDOUT by default)
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE

Run 'teu image COMMAND --help' for more information on a command.
"""


def main(argv: list[str]) -> int:
    # `teu image --root R ls` as well as `teu image ls --root R`.
    lead: list[str] = []
    while argv and argv[0].startswith("--root"):
        take = 1 if "=" in argv[0] else 2
        lead, argv = lead + argv[:take], argv[take:]
    if argv and lead:
        argv = [argv[0], *lead, *argv[1:]]
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    sub, rest = argv[0], argv[1:]
    if sub == "inspect":
        return inspect_main(rest)
    if sub == "prune":
        return prune_main(rest)
    module = SUB.get(sub)
    if module is None:
        # docker: the group's usage and exit 1 for an unknown subcommand
        sys.stdout.write(USAGE)
        print(f"teu image: unknown command {sub!r}", file=sys.stderr)
        return 1
    mod = importlib.import_module(module)
    if sub in ("ls", "list", "rm", "remove", "build"):
        return mod.main(rest, prog=f"teu image {sub}")
    return mod.main(rest)


INSPECT_FLAGS = [Flag("format", "f", STR, "Format the output using the given Go template")]


def inspect_main(argv: list[str]) -> int:
    parsed = O.parse(argv, INSPECT_FLAGS, "teu image inspect", "[OPTIONS] IMAGE [IMAGE...]",
                     "Display detailed information on one or more images", 1)
    if parsed is None:
        return 0
    opts, names = parsed
    from teu.cli._inspect_out import write_inspected
    from teu.image.inspect import inspect

    out = []
    failed = []
    with O.store(opts.get("root")) as st:
        for name in names:
            try:
                out.append(inspect(st, st.lookup(name)))
            except TeuError:
                failed.append(f"Error: No such image: {name}")
    return write_inspected(out, failed, opts.get("format"))


PRUNE_FLAGS = [Flag("all", "a", BOOL, "Remove all unused images, not just dangling ones"),
               Flag("force", "f", BOOL, "Do not prompt for confirmation"),
               Flag("filter", None, LIST, "Provide filter values (e.g. 'until=<timestamp>')")]


def prune_main(argv: list[str]) -> int:
    parsed = O.parse(argv, PRUNE_FLAGS, "teu image prune", "[OPTIONS]", "Remove unused images",
                     0, 0)
    if parsed is None:
        return 0
    opts, _ = parsed
    from teu.image.progress import human_size

    def go() -> int:
        from teu.cli._confirm import asked
        from teu.labelfilter import parse

        filters = parse(opts.get("filter") or [])
        what = ("all images without at least one container associated to them"
                if opts.get("all") else "all dangling images")
        if not asked(opts, f"WARNING! This will remove {what}.\n"
                           "Are you sure you want to continue?"):
            return 0
        with O.store(opts.get("root")) as st:
            events, freed = st.prune(all=bool(opts.get("all")), filters=filters)
        if events:
            print("Deleted Images:")
            for e in events:
                print(e)
            print()
        print(f"Total reclaimed space: {human_size(freed)}")
        return 0

    return O.run("image prune", go)
