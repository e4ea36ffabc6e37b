"""`teu import [-c CHANGE]... [-m MESSAGE] [--platform P] FILE|- [REPOSITORY[:TAG]]`."""

from __future__ import annotations

import sys

from teu.cli import _imageopts as O
from teu.cli._flags import LIST, STR, Flag
from teu.errors import TeuError

FLAGS = [Flag("change", "c", LIST, "Apply Dockerfile instruction to the created image (CMD, "
              "ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, VOLUME, LABEL, STOPSIGNAL)"),
         Flag("message", "m", STR, "Set commit message for imported image"),
         Flag("platform", None, STR, "Set platform of the image (default: this host's)")]


def main(argv: list[str]) -> int:
    parsed = O.parse(argv, FLAGS, "teu import", "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
                     "Import the contents from a tarball to create a filesystem image", 1, 2)
    if parsed is None:
        return 0
    opts, args = parsed
    file = args[0]
    name = args[1] if len(args) > 1 else None
    changes = opts.get("change") or []
    message = opts.get("message") or ""

    def go() -> int:
        from teu.image.importer import import_tarball
        from teu.oci.platform import Platform

        if "://" in file:
            raise TeuError(f"{file}: importing from a URL is not supported")
        plat = Platform.parse(opts["platform"]) if opts.get("platform") else None
        with O.store(opts.get("root")) as st:
            if file == "-":
                r = import_tarball(st, sys.stdin.buffer, name, changes=changes,
                                   message=message, platform=plat)
            else:
                with open(file, "rb") as f:
                    r = import_tarball(st, f, name, changes=changes, message=message,
                                       platform=plat)
        print(r.row.id)
        return 0

    return O.run(name or file, go)
