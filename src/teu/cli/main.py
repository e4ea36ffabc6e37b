"""`teu`: the user's command.

Verbs live one per module under teu.cli and are imported only when used,
so `teu version` (and every verb) pays only for what it runs.
"""

from __future__ import annotations

import importlib
import sys

from teu import __version__

# verb -> module under teu.cli with a `main(argv) -> int`.
VERBS: dict[str, str] = {
    "registry": "teu.cli.registry",
    # Images (teu.image, teu.registry.client).
    "pull": "teu.cli.pull",
    "push": "teu.cli.push",
    "images": "teu.cli.images",
    "image": "teu.cli.image",
    "tag": "teu.cli.tag",
    "rmi": "teu.cli.rmi",
    "history": "teu.cli.history",
    "save": "teu.cli.save",
    "load": "teu.cli.load",
    "import": "teu.cli.import_",
    "login": "teu.cli.login",
    "logout": "teu.cli.logout",
}

USAGE = """usage: teu COMMAND [ARGS...]

commands:
  version     show teu's version
  registry    run an OCI distribution registry (serve, gc)
  pull        download an image from a registry
  push        upload an image to a registry
  images      list images (also: image ls)
  image       manage images (ls, inspect, rm, prune, tag, history, ...)
  tag         add a name to an image
  rmi         remove images (also: image rm)
  history     show an image's history
  save        write images to a tar archive (OCI layout + docker manifest.json)
  load        read images from a docker-archive or oci-archive tar
  import      make a one-layer image from a root filesystem tarball
  login       store credentials for a registry
  logout      forget credentials for a registry
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["version"], ["--version"], ["-v"]):
        print(f"teu version {__version__}")
        return 0
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, end="", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 125
    module = VERBS.get(argv[0])
    if module is None:
        print(f"teu: unknown command {argv[0]!r} (see teu --help)", file=sys.stderr)
        return 125
    from teu.errors import TeuError

    try:
        return importlib.import_module(module).main(argv[1:])
    except TeuError as e:
        print(f"teu {argv[0]}: {e}", file=sys.stderr)
        return e.exit_code
    except OSError as e:
        # A file or socket the verb did not expect to fail: still one line, no traceback.
        where = f" {e.filename}" if e.filename else ""
        print(f"teu {argv[0]}:{where} {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
