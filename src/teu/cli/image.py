"""`teu image COMMAND`: ls, inspect, rm, prune, tag, history, pull, push, save, load, import."""

from __future__ import annotations

import importlib
import json
import sys

from teu.cli import _imageopts as O
from teu.errors import TeuError

# subcommand -> (module, main's prog name); inspect and prune live here.
SUB = {
    "ls": "teu.cli.images", "list": "teu.cli.images",
    "rm": "teu.cli.rmi", "remove": "teu.cli.rmi",
    "tag": "teu.cli.tag", "history": "teu.cli.history", "pull": "teu.cli.pull",
    "push": "teu.cli.push", "save": "teu.cli.save", "load": "teu.cli.load",
    "import": "teu.cli.import_", "build": "teu.cli.build",
}
USAGE = """usage: teu image COMMAND

commands:
  ls, list     list images
  inspect      show images' details (docker's JSON)
  rm, remove   remove images
  prune        remove dangling (with -a: all unused) images and leftovers
  tag          add a name to an image
  history      show an image's layers and how they were made
  pull, push   download from / upload to a registry
  save, load   write images to / read images from a tar archive
  import       make an image from a root filesystem tarball
  build        build an image from a Dockerfile (same as teu build)
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
        print(USAGE, end="", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 125
    sub, rest = argv[0], argv[1:]
    if sub == "inspect":
        return inspect_main(rest)
    if sub == "prune":
        return prune_main(rest)
    module = SUB.get(sub)
    if module is None:
        raise TeuError(f"unknown image command {sub!r} (see teu image --help)", 125)
    mod = importlib.import_module(module)
    if sub in ("ls", "list", "rm", "remove"):
        return mod.main(rest, prog=f"teu image {sub}")
    return mod.main(rest)


def inspect_main(argv: list[str]) -> int:
    p = O.parser("teu image inspect", "Show images' details.")
    p.add_argument("-f", "--format", help="Go template")
    p.add_argument("images", nargs="+")
    args = p.parse_args(argv)
    from teu.image.inspect import inspect

    out = []
    failed = []
    with O.store(args.root) as st:
        for name in args.images:
            try:
                out.append(O.run(name, lambda name=name: inspect(st, st.lookup(name))))
            except TeuError as e:
                failed.append(str(e))
    if args.format:
        from teu.cli._template import Template

        t = Template(args.format)
        for item in out:
            print(t.render(item))
    else:
        print(json.dumps(out, indent=4))
    if failed:
        for msg in failed:
            print(f"Error: {msg}", file=sys.stderr)
        return 125
    return 0


def prune_main(argv: list[str]) -> int:
    p = O.parser("teu image prune", "Remove unused images and what killed commands left.")
    p.add_argument("-a", "--all", action="store_true", help="all images without containers, "
                   "not only dangling ones")
    p.add_argument("-f", "--force", action="store_true", help="do not ask (teu never asks)")
    args = p.parse_args(argv)
    from teu.image.progress import human_size

    def go() -> int:
        with O.store(args.root) as st:
            events, freed = st.prune(all=args.all)
        if events:
            print("Deleted Images:")
            for e in events:
                print(e)
            print()
        print(f"Total reclaimed space: {human_size(freed)}")
        return 0

    return O.run("image prune", go)
